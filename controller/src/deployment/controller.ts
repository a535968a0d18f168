// The Deployment controller (Kubernetes' deployment_controller.go + the API-writing halves of sync.go,
// rolling.go, recreate.go and progress.go). Handlers only enqueue keys; sync(key) reads like the spec:
//
//   deleted?          → status only
//   paused?           → scale only (proportionally), clean up old ReplicaSets
//   scaling event?    → scale only (spec.replicas changed; a template change is what starts a rollout)
//   otherwise         → Recreate or RollingUpdate, one step, then status
//
// The arithmetic lives in rolling.ts, sync.ts, recreate.ts and progress.ts (pure, table-tested);
// this file turns their ScaleActions into API writes and events.
import {
  type Deployment,
  emptyMeta,
  equalIgnoreHash,
  type LabelSelector,
  maxRevision,
  type ObjectMeta,
  type Pod,
  POD_TEMPLATE_HASH_LABEL,
  PodTemplateSpec,
  podTemplateHash,
  type ReplicaSet,
  REVISION_ANNOTATION,
  selectorFromMessage,
} from "@mk/proto";
import { AlreadyExistsError, type Clientset, ConflictError, type EventRecorder, isNotFound, NotFoundError } from "@mk/proto/client";
import { cloneCached, type Informer, objectKey, runController, WorkQueue } from "@mk/proto/informer";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics.js";
import { controllerRefOf, newControllerRef } from "../ownerref.js";
import type { RoDeployment, RoPod, RS } from "../types.js";
import {
  calculateStatus,
  deploymentComplete,
  FAILED_RS_CREATE_REASON,
  FOUND_NEW_RS_REASON,
  getCondition,
  hasProgressDeadline,
  NEW_RS_REASON,
  newCondition,
  PROGRESSING,
  pausedConditions,
  requeueStuckAfter,
  rolloutStatus,
  setCondition,
} from "./progress.js";
import { oldPodsRunning, scaleDownOldForRecreate, scaleUpNewForRecreate } from "./recreate.js";
import {
  cloneRS,
  findNewReplicaSet,
  findOldReplicaSets,
  setDeploymentRevision,
  setNewReplicaSetAnnotations,
} from "./revision.js";
import { newRSNewReplicas, reconcileNewReplicaSet, reconcileOldReplicaSets, type ScaleAction } from "./rolling.js";
import { isScalingEvent, replicaSetsToCleanUp, scale } from "./sync.js";
import {
  filterActive,
  isRollingUpdate,
  maxSurge,
  replicasAnnotationsNeedUpdate,
  setReplicasAnnotations,
  specReplicas,
} from "./util.js";

const CONTROLLER = "deployment";

export interface DeploymentControllerOptions {
  client: Clientset;
  deploymentInformer: Informer<Deployment>;
  rsInformer: Informer<ReplicaSet>;
  podInformer: Informer<Pod>;
  recorder?: EventRecorder | undefined;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
  /** Retries of one Deployment before it is dropped with a Warning event (default 15). */
  maxRetries?: number | undefined;
  now?: () => Date;
}

/** Where a ReplicaSet stands after this sync's writes (the cache catches up later). */
type Current = Map<string, RS>;

export class DeploymentController {
  readonly queue = new WorkQueue({ name: CONTROLLER });
  private readonly o: DeploymentControllerOptions;
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(o: DeploymentControllerOptions) {
    this.o = o;
    this.log = o.logger.child({ controller: CONTROLLER });
    this.now = o.now ?? (() => new Date());
    o.deploymentInformer.addEventHandler({
      add: (d) => this.enqueue(d),
      update: (_old, d) => this.enqueue(d),
      delete: (d) => this.enqueue(d),
    });
    o.rsInformer.addEventHandler({
      add: (rs) => this.rsChanged(rs),
      update: (old, rs) => {
        if (old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
        const oldRef = controllerRefOf(old);
        if (oldRef && oldRef.uid !== controllerRefOf(rs)?.uid) this.rsChanged(old);
        this.rsChanged(rs);
      },
      delete: (rs) => this.rsChanged(rs),
    });
    o.podInformer.addEventHandler({
      // Recreate waits for the old pods to be gone: their deletion is what it waits for.
      delete: (p) => this.podDeleted(p),
    });
  }

  /** Waits for the caches, then runs `workers` sync loops until the signal aborts. */
  run(workers: number, signal: AbortSignal): Promise<void> {
    const { deploymentInformer: deployments, rsInformer, podInformer, recorder, metrics, maxRetries } = this.o;
    const informers = [deployments, rsInformer, podInformer];
    const sync = (key: string) => this.sync(key);
    const objectFor = (key: string) => deployments.store.get(key);
    return runController({ name: CONTROLLER, queue: this.queue, informers, workers, sync, objectFor, recorder, metrics, maxRetries, logger: this.log }, signal);
  }

  private enqueue(d: RoDeployment): void {
    this.queue.add(objectKey(d));
  }

  /** The owning Deployment, or for an orphan every Deployment whose selector matches it. */
  private rsChanged(rs: RS): void {
    const ns = rs.metadata?.namespace ?? "";
    const ref = controllerRefOf(rs);
    if (ref) {
      if (ref.kind !== "Deployment") return;
      const d = this.o.deploymentInformer.store.get(`${ns}/${ref.name}`);
      if (d && d.metadata?.uid === ref.uid) this.enqueue(d);
      return;
    }
    if (rs.metadata?.deletionTimestamp) return;
    for (const d of this.o.deploymentInformer.store.listByNamespace(ns)) {
      if (selectorOf(d)?.matches(rs.metadata?.labels)) this.enqueue(d);
    }
  }

  private podDeleted(p: RoPod): void {
    const ref = controllerRefOf(p);
    if (ref?.kind !== "ReplicaSet") return;
    const ns = p.metadata?.namespace ?? "";
    const rs = this.o.rsInformer.store.get(`${ns}/${ref.name}`);
    const dref = rs ? controllerRefOf(rs) : undefined;
    if (dref?.kind !== "Deployment") return;
    const d = this.o.deploymentInformer.store.get(`${ns}/${dref.name}`);
    if (d && !isRollingUpdate(d as Deployment)) this.enqueue(d);
  }

  async sync(key: string): Promise<void> {
    const cached = this.o.deploymentInformer.store.get(key);
    if (!cached) return; // deleted: the garbage collector removes its ReplicaSets
    const d = cloneCached("Deployment", cached);
    const sel = d.spec?.selector;
    if (!sel || (Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0)) {
      this.o.recorder?.event("Deployment", d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0) && d.status) {
        d.status.observedGeneration = d.metadata?.generation ?? 0;
        await this.writeStatus(d);
      }
      return;
    }
    const rsList = await this.claimReplicaSets(d);
    if (d.metadata?.deletionTimestamp) {
      await this.syncStatusOnly(d, rsList);
      return;
    }
    await this.checkPausedConditions(d);
    if (d.spec?.paused) {
      await this.syncScale(d, rsList);
      return;
    }
    const newRS = findNewReplicaSet(d, rsList);
    if (isScalingEvent(d, [...findOldReplicaSets(rsList, newRS), newRS])) {
      await this.syncScale(d, rsList);
      return;
    }
    if (isRollingUpdate(d)) await this.rolloutRolling(d, rsList);
    else await this.rolloutRecreate(d, rsList);
  }

  // ---- ReplicaSets of a Deployment: claim, find new/old, create ----

  /** Kubernetes' ClaimReplicaSets: ours and matching, plus adopted orphans; releases ours that stopped matching. */
  private async claimReplicaSets(d: Deployment): Promise<RS[]> {
    const selector = selectorOf(d);
    const uid = d.metadata?.uid ?? "";
    const deleting = Boolean(d.metadata?.deletionTimestamp);
    const out: RS[] = [];
    for (const rs of this.o.rsInformer.store.listByNamespace(d.metadata?.namespace ?? "")) {
      const ref = controllerRefOf(rs);
      const matches = selector?.matches(rs.metadata?.labels) ?? false;
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches) out.push(rs);
        else if (!deleting) await this.updateRSMeta(rs, (m) => (m.ownerReferences = m.ownerReferences.filter((r) => r.uid !== uid)));
        continue;
      }
      if (deleting || !matches || rs.metadata?.deletionTimestamp) continue;
      const adopted = await this.updateRSMeta(rs, (m) => m.ownerReferences.push(newControllerRef(d, "apps/v1", "Deployment")));
      if (adopted) {
        this.log.info({ deployment: objectKey(d), rs: objectKey(rs) }, "adopted orphan replica set");
        out.push(adopted);
      }
    }
    return out;
  }

  /** Changes a ReplicaSet's metadata; undefined when it is gone or changed meanwhile (next sync sees it). */
  private async updateRSMeta(rs: RS, change: (m: ObjectMeta) => void): Promise<RS | undefined> {
    const next = cloneRS(rs);
    if (!next.metadata) return undefined;
    change(next.metadata);
    try {
      return await this.o.client.replicaSets.update(next);
    } catch (err) {
      if (isNotFound(err) || err instanceof ConflictError) return undefined;
      throw err;
    }
  }

  /**
   * The new ReplicaSet (created when asked and missing) and the old ones, with revisions synced: the
   * new one's revision is one more than the highest old one (a re-used old ReplicaSet — rollback — gets
   * the next number too), and the Deployment carries the new one's revision.
   */
  private async getAllReplicaSetsAndSyncRevision(d: Deployment, rsList: readonly RS[], create: boolean): Promise<{ newRS: RS | undefined; oldRSs: RS[] }> {
    const existing = findNewReplicaSet(d, rsList);
    const oldRSs = findOldReplicaSets(rsList, existing);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) return { newRS: await this.syncExistingNewRS(d, existing, newRevision), oldRSs };
    if (!create) return { newRS: undefined, oldRSs };
    return { newRS: await this.createNewRS(d, oldRSs, newRevision), oldRSs };
  }

  private async syncExistingNewRS(d: Deployment, existing: RS, newRevision: number): Promise<RS> {
    const c = cloneRS(existing);
    const annotationsChanged = setNewReplicaSetAnnotations(d, c, newRevision, true);
    const minReadyChanged = (c.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
    if (annotationsChanged || minReadyChanged) {
      if (c.spec) c.spec.minReadySeconds = d.spec?.minReadySeconds ?? 0;
      // Its revision moves first; the Deployment's follows on the next sync, from this one.
      return await this.o.client.replicaSets.update(c);
    }
    if (setDeploymentRevision(d, c.metadata?.annotations[REVISION_ANNOTATION] ?? "")) await this.writeMeta(d);
    // A Deployment that never had a Progressing condition: start measuring from now.
    if (hasProgressDeadline(d) && !getCondition(d.status, PROGRESSING) && d.status) {
      setCondition(d.status, newCondition(PROGRESSING, "True", FOUND_NEW_RS_REASON, `Found new replica set "${c.metadata?.name}"`, this.now()));
      await this.writeStatus(d);
    }
    return existing;
  }

  private async createNewRS(d: Deployment, oldRSs: readonly RS[], newRevision: number): Promise<RS | undefined> {
    const hash = podTemplateHash(d.spec?.template, d.status?.collisionCount);
    const template = PodTemplateSpec.decode(PodTemplateSpec.encode(d.spec?.template ?? PodTemplateSpec.fromPartial({})).finish());
    template.metadata ??= emptyMeta();
    const tmeta = template.metadata;
    tmeta.labels = { ...tmeta.labels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const sel = d.spec?.selector;
    const selector: LabelSelector = {
      matchLabels: { ...sel?.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash },
      matchExpressions: (sel?.matchExpressions ?? []).map((e) => ({ ...e, values: [...e.values] })),
    };
    const name = `${d.metadata?.name}-${hash}`;
    const rs: ReplicaSet = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name,
        generateName: "",
        namespace: d.metadata?.namespace ?? "",
        uid: "",
        resourceVersion: "",
        generation: 0,
        labels: { ...tmeta.labels },
        annotations: {},
        ownerReferences: [newControllerRef(d, "apps/v1", "Deployment")],
        finalizers: [],
        creationTimestamp: "",
        deletionTimestamp: "",
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
      status: undefined,
    };
    const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    if (rs.spec) rs.spec.replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);

    let created: RS;
    let alreadyExisted = false;
    try {
      created = await this.o.client.replicaSets.create(rs);
    } catch (err) {
      if (err instanceof AlreadyExistsError) {
        // We may end up hitting this due to a slow cache: the ReplicaSet we made last time. If it is
        // ours with our template, it is the new one; otherwise the hash collided with someone else's.
        const found = this.o.rsInformer.store.get(`${rs.metadata?.namespace}/${name}`) ?? (await this.o.client.replicaSets.get(name, rs.metadata?.namespace));
        if (controllerRefOf(found)?.uid === d.metadata?.uid && equalIgnoreHash(d.spec?.template, found.spec?.template)) {
          created = found;
          alreadyExisted = true;
        } else {
          if (d.status) {
            d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
            await this.writeStatus(d);
          }
          this.log.info({ deployment: objectKey(d), rs: name, collisionCount: d.status?.collisionCount }, "hash collision; bumped collisionCount");
          throw new Error(`replica set ${name} exists with another template: hash collision, retrying with collisionCount ${d.status?.collisionCount}`, { cause: err });
        }
      } else {
        const msg = `Failed to create new replica set "${name}": ${err instanceof Error ? err.message : String(err)}`;
        if (hasProgressDeadline(d) && d.status) {
          setCondition(d.status, newCondition(PROGRESSING, "False", FAILED_RS_CREATE_REASON, msg, this.now()));
          await this.writeStatus(d);
        }
        this.o.recorder?.event("Deployment", d, "Warning", FAILED_RS_CREATE_REASON, msg);
        throw err;
      }
    }
    if (!alreadyExisted && replicas > 0) {
      this.o.recorder?.event("Deployment", d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${name} from 0 to ${replicas}`);
    }
    if (setDeploymentRevision(d, String(newRevision))) await this.writeMeta(d);
    if (!alreadyExisted && hasProgressDeadline(d) && d.status) {
      setCondition(d.status, newCondition(PROGRESSING, "True", NEW_RS_REASON, `Created new replica set "${name}"`, this.now()));
      await this.writeStatus(d);
    }
    return created;
  }

  // ---- applying ScaleActions ----

  /**
   * Sets a ReplicaSet's size and replicas annotations; records `Scaled up replica set web-7d9f from 1
   * to 3`. On a conflict (the ReplicaSet's status moved under us) the write is repeated on the fresh
   * object only if its size is still the one the decision was based on.
   */
  private async scaleReplicaSet(d: Deployment, rs: RS, to: number, op: string, current: Current): Promise<boolean> {
    const from = specReplicas(rs);
    const desired = specReplicas(d);
    const max = desired + maxSurge(d);
    if (from === to && !replicasAnnotationsNeedUpdate(rs as ReplicaSet, desired, max)) return false;
    let base: RS = rs;
    for (let attempt = 0; ; attempt++) {
      const next = cloneRS(base);
      if (next.spec) next.spec.replicas = to;
      setReplicasAnnotations(next, desired, max);
      try {
        const written = await this.o.client.replicaSets.update(next);
        current.set(written.metadata?.uid ?? "", written);
        break;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 3) throw err;
        const fresh = await this.o.client.replicaSets.get(rs.metadata?.name ?? "", rs.metadata?.namespace ?? "");
        if (specReplicas(fresh) !== from) throw new Error(`replica set ${objectKey(rs)} was resized meanwhile; deciding again`, { cause: err });
        base = fresh;
      }
    }
    if (from !== to) {
      const dir = op || (to > from ? "up" : "down");
      this.o.recorder?.event("Deployment", d, "Normal", "ScalingReplicaSet", `Scaled ${dir} replica set ${rs.metadata?.name} from ${from} to ${to}`);
      this.log.info({ deployment: objectKey(d), rs: rs.metadata?.name, from, to }, "scaled replica set");
    }
    return from !== to;
  }

  private async apply(d: Deployment, actions: readonly ScaleAction[], current: Current, op = ""): Promise<boolean> {
    let scaled = false;
    for (const a of actions) {
      const rs = current.get(a.rs.metadata?.uid ?? "") ?? a.rs;
      if (await this.scaleReplicaSet(d, rs, a.to, op, current)) scaled = true;
    }
    return scaled;
  }

  // ---- the strategies ----

  private async rolloutRolling(d: Deployment, rsList: readonly RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, true);
    if (!newRS) return;
    const current: Current = new Map();
    const all = () => [...oldRSs, newRS].map((rs) => current.get(rs.metadata?.uid ?? "") ?? rs);
    const newNow = () => current.get(newRS.metadata?.uid ?? "") ?? newRS;

    const up = reconcileNewReplicaSet(d, all(), newNow());
    if (up && (await this.apply(d, [up], current))) {
      await this.syncRolloutStatus(d, all(), newNow());
      return;
    }
    const olds = filterActive(oldRSs.map((rs) => current.get(rs.metadata?.uid ?? "") ?? rs));
    const downs = reconcileOldReplicaSets(d, all(), olds, newNow());
    if (downs.length > 0 && (await this.apply(d, downs, current))) {
      await this.syncRolloutStatus(d, all(), newNow());
      return;
    }
    if (d.status && deploymentComplete(d, d.status)) await this.cleanup(d, oldRSs);
    await this.syncRolloutStatus(d, all(), newNow());
  }

  private async rolloutRecreate(d: Deployment, rsList: readonly RS[]): Promise<void> {
    // No new ReplicaSet yet: creating it now would scale up before the old pods are gone.
    let { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    const current: Current = new Map();
    const all = () => [...oldRSs, newRS].map((rs) => (rs ? (current.get(rs.metadata?.uid ?? "") ?? rs) : undefined));
    if (await this.apply(d, scaleDownOldForRecreate(oldRSs), current)) {
      await this.syncRolloutStatus(d, all(), newRS);
      return;
    }
    if (oldPodsRunning(newRS, oldRSs, this.podsByOwner(d, rsList))) {
      await this.syncRolloutStatus(d, all(), newRS);
      return;
    }
    if (!newRS) ({ newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, true));
    if (newRS) {
      const up = scaleUpNewForRecreate(d, newRS);
      if (up) await this.apply(d, [up], current);
    }
    if (d.status && deploymentComplete(d, d.status)) await this.cleanup(d, oldRSs);
    const newNow = newRS ? (current.get(newRS.metadata?.uid ?? "") ?? newRS) : undefined;
    await this.syncRolloutStatus(d, all(), newNow);
  }

  /** Pods by the uid of the ReplicaSet that controls them, for this Deployment's ReplicaSets. */
  private podsByOwner(d: Deployment, rsList: readonly RS[]): Map<string, RoPod[]> {
    const uids = new Set(rsList.map((rs) => rs.metadata?.uid ?? ""));
    const out = new Map<string, RoPod[]>();
    for (const p of this.o.podInformer.store.listByNamespace(d.metadata?.namespace ?? "")) {
      const uid = controllerRefOf(p)?.uid;
      if (!uid || !uids.has(uid)) continue;
      const list = out.get(uid) ?? [];
      list.push(p);
      out.set(uid, list);
    }
    return out;
  }

  /** Scaling without rolling (paused, or spec.replicas changed): proportional over the active sets. */
  private async syncScale(d: Deployment, rsList: readonly RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    const current: Current = new Map();
    const actions = scale(d, newRS, oldRSs);
    const delta = actions.reduce((n, a) => n + a.to - a.from, 0);
    await this.apply(d, actions, current, delta > 0 ? "up" : delta < 0 ? "down" : "");
    if (d.spec?.paused) await this.cleanup(d, oldRSs);
    const all = [...oldRSs, newRS].map((rs) => (rs ? (current.get(rs.metadata?.uid ?? "") ?? rs) : undefined));
    const newNow = newRS ? (current.get(newRS.metadata?.uid ?? "") ?? newRS) : undefined;
    await this.syncDeploymentStatus(d, all, newNow);
  }

  private async syncStatusOnly(d: Deployment, rsList: readonly RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    await this.syncDeploymentStatus(d, [...oldRSs, newRS], newRS);
  }

  /** revisionHistoryLimit: delete the oldest empty ReplicaSets beyond the limit. */
  private async cleanup(d: Deployment, oldRSs: readonly RS[]): Promise<void> {
    for (const rs of replicaSetsToCleanUp(d, oldRSs)) {
      try {
        await this.o.client.replicaSets.delete(rs.metadata?.name ?? "", rs.metadata?.namespace ?? "", { preconditions: { uid: rs.metadata?.uid ?? "" } });
        this.log.info({ deployment: objectKey(d), rs: rs.metadata?.name, revisionHistoryLimit: d.spec?.revisionHistoryLimit }, "deleted old replica set");
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  // ---- status ----

  private async checkPausedConditions(d: Deployment): Promise<void> {
    if (d.status && pausedConditions(d, d.status, this.now())) await this.writeStatus(d);
  }

  private async syncDeploymentStatus(d: Deployment, all: readonly (RS | undefined)[], newRS: RS | undefined): Promise<void> {
    const s = calculateStatus(all, newRS, d, this.now());
    if (JSON.stringify(s) === JSON.stringify(d.status)) return;
    d.status = s;
    await this.writeStatus(d);
  }

  private async syncRolloutStatus(d: Deployment, all: readonly (RS | undefined)[], newRS: RS | undefined): Promise<void> {
    const now = this.now();
    const s = rolloutStatus(all, newRS, d, now);
    const after = requeueStuckAfter(d, s, now);
    // Not finished: look again when the progress deadline would pass, so it is noticed without events.
    if (after !== undefined) this.queue.addAfter(objectKey(d), after);
    if (JSON.stringify(s) === JSON.stringify(d.status)) return;
    d.status = s;
    await this.writeStatus(d);
  }

  /** Writes status. A conflict means a newer Deployment is on its way through the informer, which syncs it again. */
  private async writeStatus(d: Deployment): Promise<void> {
    try {
      const written = await this.o.client.deployments.updateStatus(d);
      if (d.metadata && written.metadata) d.metadata.resourceVersion = written.metadata.resourceVersion;
    } catch (err) {
      if (err instanceof ConflictError || err instanceof NotFoundError) return;
      throw err;
    }
  }

  /** Writes metadata (the revision annotation); status and spec are the server's and the user's. */
  private async writeMeta(d: Deployment): Promise<void> {
    const written = await this.o.client.deployments.update(d);
    if (d.metadata && written.metadata) d.metadata.resourceVersion = written.metadata.resourceVersion;
  }
}

function selectorOf(d: RoDeployment): { matches(l: Readonly<Record<string, string>> | undefined): boolean } | undefined {
  try {
    return selectorFromMessage(d.spec?.selector as LabelSelector | undefined);
  } catch {
    return undefined; // invalid: matches nothing (the API server rejects these anyway)
  }
}

