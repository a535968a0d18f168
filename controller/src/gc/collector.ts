// The garbage collector (Kubernetes' garbagecollector, reduced to mk's kinds) and pod GC:
//
//   Background  an owner is gone (deleted outright): its dependents — objects whose ownerReferences
//               name its uid — are deleted, which cascades (Deployment → ReplicaSets → Pods).
//   Foreground  the owner carries the `foregroundDeletion` finalizer: its dependents are deleted
//               (Foreground too, so it cascades), and when none is left the finalizer is removed and
//               the API server removes the owner.
//   Orphan      the owner carries the `orphan` finalizer: the dependents' references to it are
//               removed, then the finalizer, and the owner goes; the dependents stay.
//   Pod GC      pods bound to a Node that no longer exists are deleted at once (no kubelet will).
//
// Work items are keys on one queue: `dep:<Kind>:<ns>/<name>` (is this dependent's owner gone?),
// `owner:<Kind>:<ns>/<name>` (an owner being deleted with a finalizer), `node:<name>` (a deleted node).
import type { KindName, Node, ObjectMeta, Pod, ReplicaSet, Deployment } from "@mk/proto";
import { type Clientset, ConflictError, isNotFound } from "@mk/proto/client";
import { cloneCached, type DeepReadonly, type Informer, type InformerFactory, objectKey, runController, WorkQueue } from "@mk/proto/informer";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics.js";

export const FOREGROUND_FINALIZER = "foregroundDeletion";
export const ORPHAN_FINALIZER = "orphan";
const CONTROLLER = "garbage-collector";
const OWNER_INDEX = "gc-owner-uid";
const NODE_INDEX = "gc-node-name";

/** The kinds that own others here, and the kinds that are owned. */
type OwnerKind = "Deployment" | "ReplicaSet";
type DependentKind = "ReplicaSet" | "Pod";
type Obj = DeepReadonly<{ metadata?: ObjectMeta | undefined }>;

export interface GarbageCollectorOptions {
  client: Clientset;
  informers: InformerFactory;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
}

export class GarbageCollector {
  readonly queue = new WorkQueue({ name: CONTROLLER });
  private readonly o: GarbageCollectorOptions;
  private readonly log: Logger;
  private readonly deployments: Informer<Deployment>;
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;

  constructor(o: GarbageCollectorOptions) {
    this.o = o;
    this.log = o.logger.child({ controller: CONTROLLER });
    this.deployments = o.informers.informerFor("Deployment");
    this.replicaSets = o.informers.informerFor("ReplicaSet");
    this.pods = o.informers.informerFor("Pod");
    this.nodes = o.informers.informerFor("Node");
    const ownerUids = (obj: Obj) => (obj.metadata?.ownerReferences ?? []).map((r) => r.uid);
    this.replicaSets.store.addIndexer(OWNER_INDEX, ownerUids);
    this.pods.store.addIndexer(OWNER_INDEX, ownerUids);
    this.pods.store.addIndexer(NODE_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));

    for (const [kind, inf] of [
      ["Deployment", this.deployments],
      ["ReplicaSet", this.replicaSets],
    ] as const) {
      const inform = inf as Informer<{ metadata?: ObjectMeta | undefined }>;
      inform.addEventHandler({
        add: (obj) => this.ownerChanged(kind, obj),
        update: (_old, obj) => this.ownerChanged(kind, obj),
        delete: (obj) => this.ownerDeleted(obj),
      });
    }
    for (const [kind, inf] of [
      ["ReplicaSet", this.replicaSets],
      ["Pod", this.pods],
    ] as const) {
      const inform = inf as Informer<{ metadata?: ObjectMeta | undefined }>;
      inform.addEventHandler({
        add: (obj) => this.dependentChanged(kind, obj),
        update: (_old, obj) => this.dependentChanged(kind, obj),
        delete: (obj) => this.dependentDeleted(obj),
      });
    }
    this.pods.addEventHandler({ add: (p) => this.podNodeCheck(p) });
    this.nodes.addEventHandler({ delete: (n) => this.queue.add(`node:${n.metadata?.name ?? ""}`) });
  }

  run(workers: number, signal: AbortSignal): Promise<void> {
    // What changed while no collector ran: dependents of owners deleted meanwhile, pods of nodes
    // deleted meanwhile. Look at each once, now that every cache is filled.
    const afterSync = () => {
      for (const rs of this.replicaSets.store.list()) this.dependentChanged("ReplicaSet", rs);
      for (const p of this.pods.store.list()) {
        this.dependentChanged("Pod", p);
        this.podNodeCheck(p);
      }
    };
    const informers = [this.deployments, this.replicaSets, this.pods, this.nodes];
    const { metrics } = this.o;
    return runController({ name: CONTROLLER, queue: this.queue, informers, workers, sync: (item) => this.sync(item), afterSync, metrics, logger: this.log }, signal);
  }

  private ownerChanged(kind: OwnerKind, obj: Obj): void {
    const f = obj.metadata?.finalizers ?? [];
    if (obj.metadata?.deletionTimestamp && (f.includes(FOREGROUND_FINALIZER) || f.includes(ORPHAN_FINALIZER))) {
      this.queue.add(`owner:${kind}:${objectKey(obj)}`);
    }
  }

  /** An owner is gone: each of its dependents is checked (and deleted if no other owner remains). */
  private ownerDeleted(obj: Obj): void {
    const uid = obj.metadata?.uid ?? "";
    for (const rs of this.replicaSets.store.byIndex(OWNER_INDEX, uid)) this.queue.add(`dep:ReplicaSet:${objectKey(rs)}`);
    for (const p of this.pods.store.byIndex(OWNER_INDEX, uid)) this.queue.add(`dep:Pod:${objectKey(p)}`);
  }

  /** A dependent whose owner is not in the cache is checked (the owner may be gone, or just not seen yet). */
  private dependentChanged(kind: DependentKind, obj: Obj): void {
    // Until the owners' caches are filled every owner looks missing; run() looks at every dependent
    // once they are.
    if (!this.deployments.hasSynced() || !this.replicaSets.hasSynced()) return;
    for (const ref of obj.metadata?.ownerReferences ?? []) {
      if (!this.ownerInCache(ref.kind, obj.metadata?.namespace ?? "", ref.name, ref.uid)) {
        this.queue.add(`dep:${kind}:${objectKey(obj)}`);
        return;
      }
    }
  }

  /** A dependent went: an owner waiting in Foreground for it may now go. */
  private dependentDeleted(obj: Obj): void {
    const ns = obj.metadata?.namespace ?? "";
    for (const ref of obj.metadata?.ownerReferences ?? []) {
      if (ref.kind === "Deployment" || ref.kind === "ReplicaSet") this.queue.add(`owner:${ref.kind}:${ns}/${ref.name}`);
    }
  }

  private podNodeCheck(p: DeepReadonly<Pod>): void {
    const node = p.spec?.nodeName;
    if (node && this.nodes.hasSynced() && !this.nodes.store.get(node)) this.queue.add(`node:${node}`);
  }

  private ownerInCache(kind: string, namespace: string, name: string, uid: string): boolean {
    const inf = kind === "Deployment" ? this.deployments : kind === "ReplicaSet" ? this.replicaSets : undefined;
    if (!inf) return true; // an owner kind we do not collect for: leave its dependents alone
    return (inf.store as { get(k: string): Obj | undefined }).get(`${namespace}/${name}`)?.metadata?.uid === uid;
  }

  async sync(item: string): Promise<void> {
    const [what, a = "", b = ""] = item.split(":");
    if (what === "dep") return this.syncDependent(a as DependentKind, b);
    if (what === "owner") return this.syncOwner(a as OwnerKind, b);
    if (what === "node") return this.syncNode(a);
    this.log.warn({ item }, "unknown work item dropped");
  }

  // ---- Background: dependents whose owners are gone ----

  private async syncDependent(kind: DependentKind, key: string): Promise<void> {
    const obj = this.cached(kind, key);
    if (!obj?.metadata || obj.metadata.deletionTimestamp) return; // gone, or already going
    const { namespace, name, uid } = obj.metadata;
    const refs = obj.metadata.ownerReferences;
    if (refs.length === 0) return;
    const dangling: string[] = [];
    let ownerForeground = false;
    for (const ref of refs) {
      const state = await this.ownerState(ref.kind, namespace, ref.name, ref.uid);
      if (state === "absent") dangling.push(ref.uid);
      else if (state === "foreground") ownerForeground = true;
    }
    if (dangling.length === 0) return;
    if (dangling.length < refs.length) {
      // Other owners remain: only the references to the missing ones go.
      await this.updateMeta(kind, obj, (m) => (m.ownerReferences = m.ownerReferences.filter((r) => !dangling.includes(r.uid))));
      return;
    }
    // Every owner is gone: the dependent goes too. Background lets its own dependents go after it.
    await this.deleteObject(kind, namespace, name, uid, ownerForeground && kind !== "Pod" ? "Foreground" : "Background");
  }

  /** present, absent (deleted or replaced by another uid), or foreground (being deleted, waiting for dependents). */
  private async ownerState(kind: string, namespace: string, name: string, uid: string): Promise<"present" | "absent" | "foreground"> {
    if (kind !== "Deployment" && kind !== "ReplicaSet") return "present";
    // The cache may lag behind: ask the API before deleting anything.
    try {
      const owner = kind === "Deployment" ? await this.o.client.deployments.get(name, namespace) : await this.o.client.replicaSets.get(name, namespace);
      if (owner.metadata?.uid !== uid) return "absent";
      if (owner.metadata.deletionTimestamp && owner.metadata.finalizers.includes(FOREGROUND_FINALIZER)) return "foreground";
      return "present";
    } catch (err) {
      if (isNotFound(err)) return "absent";
      throw err;
    }
  }

  // ---- Foreground and Orphan: owners being deleted with a finalizer ----

  private async syncOwner(kind: OwnerKind, key: string): Promise<void> {
    const owner = this.cached(kind, key);
    const m = owner?.metadata;
    if (!owner || !m?.deletionTimestamp) return;
    const deps = this.dependentsOf(m.uid);
    if (m.finalizers.includes(ORPHAN_FINALIZER)) {
      // Orphan: cut every dependent loose, then let the owner go.
      for (const { kind: dk, obj } of deps) {
        await this.updateMeta(dk, obj, (dm) => (dm.ownerReferences = dm.ownerReferences.filter((r) => r.uid !== m.uid)));
      }
      this.log.info({ owner: `${kind}/${key}`, orphaned: deps.length }, "orphaned dependents");
      await this.removeFinalizer(kind, owner, ORPHAN_FINALIZER);
      return;
    }
    if (m.finalizers.includes(FOREGROUND_FINALIZER)) {
      if (deps.length === 0) {
        // Every dependent is gone: the owner may go.
        await this.removeFinalizer(kind, owner, FOREGROUND_FINALIZER);
        return;
      }
      for (const { kind: dk, obj } of deps) {
        const dm = obj.metadata;
        if (!dm || dm.deletionTimestamp) continue;
        // Foreground cascades through ReplicaSets; pods own nothing here, and a foregroundDeletion
        // finalizer on a pod would only wait for a collector pass that has nothing to wait for.
        await this.deleteObject(dk, dm.namespace, dm.name, dm.uid, dk === "Pod" ? "Background" : "Foreground");
      }
      // Waiting for them: their deletion events requeue this owner (their owner reference names it).
    }
  }

  private dependentsOf(uid: string): Array<{ kind: DependentKind; obj: Obj }> {
    return [
      ...this.replicaSets.store.byIndex(OWNER_INDEX, uid).map((obj) => ({ kind: "ReplicaSet" as const, obj: obj as Obj })),
      ...this.pods.store.byIndex(OWNER_INDEX, uid).map((obj) => ({ kind: "Pod" as const, obj: obj as Obj })),
    ];
  }

  private async removeFinalizer(kind: OwnerKind, owner: Obj, finalizer: string): Promise<void> {
    await this.updateMeta(kind, owner, (m) => (m.finalizers = m.finalizers.filter((f) => f !== finalizer)));
  }

  // ---- Pod GC: pods of deleted nodes ----

  private async syncNode(name: string): Promise<void> {
    if (this.nodes.store.get(name)) return;
    try {
      await this.o.client.nodes.get(name);
      return; // exists; the cache has not seen it yet
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    for (const p of this.pods.store.byIndex(NODE_INDEX, name)) {
      const m = p.metadata;
      if (!m) continue;
      // No kubelet will finish a graceful deletion on a node that is gone: force it (grace 0).
      await this.deleteObject("Pod", m.namespace, m.name, m.uid, "Background", 0);
      this.log.info({ pod: objectKey(p), node: name }, "deleted pod of a deleted node");
    }
  }

  // ---- API writes ----

  private cached(kind: KindName, key: string): Obj | undefined {
    const inf = kind === "Deployment" ? this.deployments : kind === "ReplicaSet" ? this.replicaSets : this.pods;
    return (inf.store as { get(k: string): Obj | undefined }).get(key);
  }

  private async deleteObject(kind: DependentKind | OwnerKind, namespace: string, name: string, uid: string, policy: "Background" | "Foreground", grace?: number): Promise<void> {
    const client = kind === "Pod" ? this.o.client.pods : kind === "ReplicaSet" ? this.o.client.replicaSets : this.o.client.deployments;
    try {
      await client.delete(name, namespace, {
        propagationPolicy: policy,
        preconditions: { uid },
        ...(grace === undefined ? {} : { gracePeriodSeconds: grace }),
      });
      this.o.metrics?.gcDeleted.inc({ kind });
      this.log.info({ kind, object: `${namespace}/${name}`, policy }, "deleted dependent");
    } catch (err) {
      // Gone already, or a new object by that name (uid precondition): nothing of ours to delete.
      if (isNotFound(err) || err instanceof ConflictError) return;
      throw err;
    }
  }

  /** Changes metadata on a fresh copy; NotFound means nothing to change. Conflicts retry by requeue. */
  private async updateMeta(kind: DependentKind | OwnerKind, obj: Obj, change: (m: ObjectMeta) => void): Promise<void> {
    const m = obj.metadata;
    if (!m) return;
    try {
      if (kind === "Pod") {
        const c = cloneCached("Pod", obj as DeepReadonly<Pod>);
        if (c.metadata) change(c.metadata);
        await this.o.client.pods.update(c);
      } else if (kind === "ReplicaSet") {
        const c = cloneCached("ReplicaSet", obj as DeepReadonly<ReplicaSet>);
        if (c.metadata) change(c.metadata);
        await this.o.client.replicaSets.update(c);
      } else {
        const c = cloneCached("Deployment", obj as DeepReadonly<Deployment>);
        if (c.metadata) change(c.metadata);
        await this.o.client.deployments.update(c);
      }
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}
