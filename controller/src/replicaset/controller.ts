// The ReplicaSet controller, shaped like kubernetes/sample-controller: informer handlers only enqueue
// keys; sync(key) reads the caches, claims the pods (adopt matching orphans, release pods that stopped
// matching), creates or deletes the difference, and writes status. Expectations keep a slow cache
// from causing a second round of creates for the same shortfall.
import { type LabelSelector, type ObjectMeta, type Pod, PodSpec, type ReplicaSet, type ReplicaSetStatus, selectorFromMessage } from "@mk/proto";
import { type Clientset, ConflictError, type EventRecorder, isNotFound, NotFoundError } from "@mk/proto/client";
import { cloneCached, type Informer, objectKey, runController, WorkQueue } from "@mk/proto/informer";
import { Expectations } from "../expectations.js";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics.js";
import { controllerRefOf, newControllerRef } from "../ownerref.js";
import type { RoPod, RS } from "../types.js";
import { calculateStatus, isActive, isReady, msUntilAvailable, podsToDelete } from "./pods.js";

/** At most this many creates or deletes per sync, as Kubernetes' burstReplicas. */
export const BURST_REPLICAS = 500;
const CONTROLLER = "replicaset";

export interface ReplicaSetControllerOptions {
  client: Clientset;
  rsInformer: Informer<ReplicaSet>;
  podInformer: Informer<Pod>;
  recorder?: EventRecorder | undefined;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
  burstReplicas?: number;
  /** Retries of one ReplicaSet before it is dropped with a Warning event (default 15). */
  maxRetries?: number | undefined;
  now?: () => Date;
}

export class ReplicaSetController {
  readonly queue = new WorkQueue({ name: CONTROLLER });
  readonly expectations: Expectations;
  private readonly o: ReplicaSetControllerOptions;
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(o: ReplicaSetControllerOptions) {
    this.o = o;
    this.log = o.logger.child({ controller: CONTROLLER });
    this.now = o.now ?? (() => new Date());
    this.expectations = new Expectations(() => this.now().getTime());
    o.rsInformer.addEventHandler({
      add: (rs) => this.enqueue(rs),
      update: (_old, rs) => this.enqueue(rs),
      delete: (rs) => {
        this.expectations.delete(objectKey(rs));
        this.enqueue(rs);
      },
    });
    o.podInformer.addEventHandler({
      add: (p) => this.addPod(p),
      update: (old, cur) => this.updatePod(old, cur),
      delete: (p) => this.deletePod(p),
    });
  }

  /** Waits for the caches, then runs `workers` sync loops until the signal aborts. */
  run(workers: number, signal: AbortSignal): Promise<void> {
    const { rsInformer, podInformer, recorder, metrics, maxRetries } = this.o;
    const sync = (key: string) => this.sync(key);
    const objectFor = (key: string) => rsInformer.store.get(key);
    return runController({ name: CONTROLLER, queue: this.queue, informers: [rsInformer, podInformer], workers, sync, objectFor, recorder, metrics, maxRetries, logger: this.log }, signal);
  }

  private enqueue(rs: RS): void {
    this.queue.add(objectKey(rs));
  }

  /** The ReplicaSet a pod's controller reference names, if it is still the same object (uid). */
  private resolveControllerRef(p: RoPod): RS | undefined {
    const ref = controllerRefOf(p);
    if (ref?.kind !== "ReplicaSet") return undefined;
    const rs = this.o.rsInformer.store.get(`${p.metadata?.namespace}/${ref.name}`);
    return rs && rs.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets of the pod's namespace whose selector matches it (for orphans). */
  private matchingReplicaSets(p: RoPod): RS[] {
    return this.o.rsInformer.store.listByNamespace(p.metadata?.namespace ?? "").filter((rs) => {
      try {
        return selectorFromMessage(rs.spec?.selector as LabelSelector | undefined).matches(p.metadata?.labels);
      } catch {
        return false; // an invalid selector matches nothing; sync reports it
      }
    });
  }

  private addPod(p: RoPod): void {
    if (p.metadata?.deletionTimestamp) {
      // Seen for the first time already terminating (e.g. after a relist): a deletion, not a creation.
      this.deletePod(p);
      return;
    }
    const rs = this.resolveControllerRef(p);
    if (rs) {
      this.expectations.creationObserved(objectKey(rs));
      this.enqueue(rs);
      return;
    }
    if (controllerRefOf(p)) return; // owned by something else
    for (const m of this.matchingReplicaSets(p)) this.enqueue(m);
  }

  private updatePod(old: RoPod, cur: RoPod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return; // resync: nothing new
    const labelsChanged = JSON.stringify(old.metadata?.labels) !== JSON.stringify(cur.metadata?.labels);
    if (cur.metadata?.deletionTimestamp) {
      // Graceful deletion started: the pod no longer counts, act now instead of waiting for the
      // DELETED event after the grace period.
      this.deletePod(cur);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const oldRef = controllerRefOf(old);
    const curRef = controllerRefOf(cur);
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const prev = this.resolveControllerRef(old);
      if (prev) this.enqueue(prev);
    }
    const rs = this.resolveControllerRef(cur);
    if (rs) {
      this.enqueue(rs);
      // A pod that just became ready becomes available after minReadySeconds: look again then.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isReady(old) && isReady(cur)) this.queue.addAfter(objectKey(rs), minReady * 1000 + 100);
      return;
    }
    if (!curRef && (labelsChanged || oldRef)) for (const m of this.matchingReplicaSets(cur)) this.enqueue(m);
  }

  private deletePod(p: RoPod): void {
    const rs = this.resolveControllerRef(p);
    if (!rs) return;
    const key = objectKey(rs);
    this.expectations.deletionObserved(key, objectKey(p));
    this.enqueue(rs);
  }

  /** Idempotent: reads the caches, converges one ReplicaSet a step, writes its status. */
  async sync(key: string): Promise<void> {
    const rs = this.o.rsInformer.store.get(key);
    if (!rs) {
      // Deleted: its pods are the garbage collector's business.
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    let selector: ReturnType<typeof selectorFromMessage>;
    try {
      selector = selectorFromMessage(rs.spec?.selector as LabelSelector | undefined);
    } catch (err) {
      // The API server validates selectors, so this is data from elsewhere: report, don't retry.
      this.log.error({ key, err }, "invalid selector; not syncing");
      return;
    }
    const all = this.o.podInformer.store.listByNamespace(rs.metadata?.namespace ?? "");
    const uid = rs.metadata?.uid ?? "";
    const terminating = all.filter((p) => p.metadata?.deletionTimestamp && controllerRefOf(p)?.uid === uid).length;
    const claimed = await this.claimPods(rs, selector, all.filter(isActive));

    let manageErr: unknown;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, claimed);
      } catch (err) {
        manageErr = err;
      }
    }
    const now = this.now();
    const status = calculateStatus(rs, claimed, terminating, now);
    await this.updateStatus(rs, status);
    if (manageErr) throw manageErr;
    // Pods ready but not yet available (minReadySeconds): look again when the first becomes available.
    const minReady = rs.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && status.readyReplicas > status.availableReplicas) {
      const waits = claimed.map((p) => msUntilAvailable(p, minReady, now)).filter((n): n is number => n !== undefined);
      if (waits.length > 0) this.queue.addAfter(key, Math.min(...waits) + 100);
    }
  }

  /**
   * Kubernetes' ControllerRefManager.ClaimPods: ours and matching → kept; ours but no longer matching →
   * released (owner reference removed); orphans that match → adopted. Pods of other controllers are
   * never touched.
   */
  private async claimPods(rs: RS, selector: { matches(l: Readonly<Record<string, string>> | undefined): boolean }, pods: readonly RoPod[]): Promise<RoPod[]> {
    const uid = rs.metadata?.uid ?? "";
    const deleting = Boolean(rs.metadata?.deletionTimestamp);
    const claimed: RoPod[] = [];
    for (const p of pods) {
      const ref = controllerRefOf(p);
      const matches = selector.matches(p.metadata?.labels);
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches) claimed.push(p);
        else if (!deleting) await this.release(rs, p);
        continue;
      }
      if (deleting || !matches || p.metadata?.deletionTimestamp) continue;
      if (await this.adopt(rs, p)) claimed.push(p);
    }
    return claimed;
  }

  private async adopt(rs: RS, p: RoPod): Promise<boolean> {
    const pod = cloneCached("Pod", p);
    const meta = pod.metadata as ObjectMeta;
    meta.ownerReferences = [...meta.ownerReferences, newControllerRef(rs, "apps/v1", "ReplicaSet")];
    try {
      await this.o.client.pods.update(pod);
      this.log.info({ rs: objectKey(rs), pod: objectKey(p) }, "adopted orphan pod");
      return true;
    } catch (err) {
      // Gone, or changed meanwhile (a conflict): the next sync sees its current state.
      if (isNotFound(err) || err instanceof ConflictError) return false;
      throw err;
    }
  }

  private async release(rs: RS, p: RoPod): Promise<void> {
    const pod = cloneCached("Pod", p);
    const meta = pod.metadata as ObjectMeta;
    meta.ownerReferences = meta.ownerReferences.filter((r) => r.uid !== rs.metadata?.uid);
    try {
      await this.o.client.pods.update(pod);
      this.log.info({ rs: objectKey(rs), pod: objectKey(p) }, "released pod that no longer matches");
    } catch (err) {
      // Gone or changed: nothing to release, or the next sync releases the current version.
      if (isNotFound(err) || err instanceof ConflictError) return;
      throw err;
    }
  }

  /** Creates or deletes the difference between the active pods and spec.replicas, at most a burst. */
  private async manageReplicas(key: string, rs: RS, active: readonly RoPod[]): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    const diff = active.length - want;
    const burst = this.o.burstReplicas ?? BURST_REPLICAS;
    if (diff < 0) {
      const n = Math.min(-diff, burst);
      this.expectations.expectCreations(key, n);
      this.log.info({ rs: key, want, have: active.length, creating: n }, "too few replicas; creating");
      const { created, failed, skipped, firstError } = await slowStartBatch(n, 1, () => this.createPod(rs));
      // Failed and skipped creates will never be observed: lower the expectation by them.
      for (let i = 0; i < failed + skipped; i++) this.expectations.creationObserved(key);
      this.o.metrics?.podsCreated.inc(created);
      if (firstError) throw firstError;
      return;
    }
    if (diff > 0) {
      const victims = podsToDelete(active, Math.min(diff, burst));
      this.expectations.expectDeletions(key, victims.map(objectKey));
      this.log.info({ rs: key, want, have: active.length, deleting: victims.length }, "too many replicas; deleting");
      const results = await Promise.allSettled(victims.map((p) => this.deletePodNow(rs, p)));
      let firstError: unknown;
      results.forEach((r, i) => {
        const p = victims[i];
        if (!p) return;
        if (r.status === "fulfilled") {
          this.o.metrics?.podsDeleted.inc();
          return;
        }
        // A failed delete will not be observed; NotFound means already gone, observed by the cache.
        this.expectations.deletionObserved(key, objectKey(p));
        if (!isNotFound(r.reason)) firstError ??= r.reason;
      });
      if (firstError) throw firstError;
    }
  }

  private async createPod(rs: RS): Promise<void> {
    const t = rs.spec?.template;
    const m = rs.metadata;
    const pod: Pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "",
        generateName: `${m?.name}-`,
        namespace: m?.namespace ?? "",
        uid: "",
        resourceVersion: "",
        generation: 0,
        labels: { ...t?.metadata?.labels },
        annotations: { ...t?.metadata?.annotations },
        ownerReferences: [newControllerRef(rs, "apps/v1", "ReplicaSet")],
        finalizers: [],
        creationTimestamp: "",
        deletionTimestamp: "",
      },
      // A copy of the template's spec (encode only reads the cached one).
      spec: t?.spec ? PodSpec.decode(PodSpec.encode(t.spec as PodSpec).finish()) : undefined,
      status: undefined,
    };
    try {
      const created = await this.o.client.pods.create(pod);
      this.o.recorder?.event("ReplicaSet", subject(rs), "Normal", "SuccessfulCreate", `Created pod: ${created.metadata?.name}`);
    } catch (err) {
      this.o.recorder?.event("ReplicaSet", subject(rs), "Warning", "FailedCreate", `Error creating: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  private async deletePodNow(rs: RS, p: RoPod): Promise<void> {
    const name = p.metadata?.name ?? "";
    await this.o.client.pods.delete(name, p.metadata?.namespace ?? "", { preconditions: { uid: p.metadata?.uid ?? "" } });
    this.o.recorder?.event("ReplicaSet", subject(rs), "Normal", "SuccessfulDelete", `Deleted pod: ${name}`);
  }

  /** Writes status when it changed. A conflict means a newer ReplicaSet is on its way to the cache. */
  private async updateStatus(rs: RS, status: ReplicaSetStatus): Promise<void> {
    const cur = rs.status;
    if (
      cur &&
      cur.replicas === status.replicas &&
      cur.fullyLabeledReplicas === status.fullyLabeledReplicas &&
      cur.readyReplicas === status.readyReplicas &&
      cur.availableReplicas === status.availableReplicas &&
      cur.observedGeneration === status.observedGeneration &&
      cur.terminatingReplicas === status.terminatingReplicas
    ) {
      return;
    }
    const next = cloneCached("ReplicaSet", rs);
    next.status = status;
    try {
      await this.o.client.replicaSets.updateStatus(next);
    } catch (err) {
      // Conflict: the informer delivers the newer version and that enqueues this key again.
      // NotFound: deleted meanwhile, nothing to report on.
      if (err instanceof ConflictError || err instanceof NotFoundError) return;
      throw err;
    }
  }
}

/** The event subject of a cached object (the recorder only reads it). */
export function subject(obj: { readonly apiVersion: string; readonly kind: string; readonly metadata?: unknown }): {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta | undefined;
} {
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata as ObjectMeta | undefined };
}

/**
 * Kubernetes' slowStartBatch: calls fn n times in batches of 1, 2, 4, 8 … and stops after the first
 * batch with a failure, so a quota or an invalid template costs one call, not a thousand.
 */
export async function slowStartBatch(
  n: number,
  initial: number,
  fn: () => Promise<void>,
): Promise<{ created: number; failed: number; skipped: number; firstError: unknown }> {
  let remaining = n;
  let batch = Math.min(remaining, initial);
  let created = 0;
  let failed = 0;
  let firstError: unknown;
  while (batch > 0) {
    const results = await Promise.allSettled(Array.from({ length: batch }, fn));
    for (const r of results) {
      if (r.status === "fulfilled") created++;
      else {
        failed++;
        firstError ??= r.reason;
      }
    }
    remaining -= batch;
    if (failed > 0) break;
    batch = Math.min(remaining, batch * 2);
  }
  return { created, failed, skipped: remaining, firstError };
}

