// The garbage collector, Kubernetes' garbagecollector over every kind in the KINDS table: nothing here
// names a kind, so a new kind with ownerReferences (Jobs owning Pods, CronJobs owning Jobs) is
// collected without a change to this file.
//
//   Background  an owner is gone: each dependent (an object whose ownerReferences name its uid) with
//               no other owner left is deleted, which cascades (Deployment → ReplicaSets → Pods).
//   Foreground  the owner carries the `foregroundDeletion` finalizer: its dependents are deleted
//               (in Foreground too when they have dependents of their own), and when none with
//               blockOwnerDeletion is left the finalizer is removed and the API server removes the owner.
//   Orphan      the owner carries the `orphan` finalizer: the dependents' references to it are
//               removed, then the finalizer, and the owner goes; the dependents stay.
//
// The dependents graph is an owner-uid index on each kind's informer store. Work items are objects,
// `<Kind>:<namespace>/<name>`, and sync looks at one object as it stands: being deleted with a
// finalizer of ours → act as its owner (orphan, or delete dependents first); else, with owners →
// check them (Kubernetes' attemptToDelete). Pods of deleted nodes are the pod GC's (../podgc/).
import { isKindName, KIND_NAMES, KINDS, type KindName, type ObjectMeta, type OwnerReference } from "@mk/proto";
import type { Clientset, EventRecorder } from "@mk/proto/client";
import {
  type DeepReadonly,
  type HasMeta,
  type Informer,
  type InformerFactory,
  indexByOwnerUid,
  objectKey,
  OWNER_UID_INDEX,
  runController,
  WorkQueue,
} from "@mk/proto/informer";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics.js";
import { classifyOwners, FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from "./owners.js";
import { GcWriter } from "./writes.js";

export { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from "./owners.js";

const CONTROLLER = "garbage-collector";

type Obj = DeepReadonly<HasMeta>;
type Meta = DeepReadonly<ObjectMeta>;

export interface GarbageCollectorOptions {
  client: Clientset;
  informers: InformerFactory;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
  /** For the Warning event on an object the collector gives up on. */
  recorder?: EventRecorder | undefined;
  /** Kinds to watch; default every kind of the KINDS table, as Kubernetes' GC discovers every resource. */
  kinds?: readonly KindName[] | undefined;
  /** Kinds left out (kube-controller-manager leaves out Events: they own nothing and churn). */
  ignoredKinds?: readonly KindName[] | undefined;
}

export class GarbageCollector {
  readonly queue = new WorkQueue({ name: CONTROLLER });
  private readonly o: GarbageCollectorOptions;
  private readonly log: Logger;
  private readonly writer: GcWriter;
  /** One informer per watched kind, each indexed by owner uid. */
  private readonly monitors = new Map<KindName, Informer<HasMeta>>();
  /** Every cache filled: until then every owner looks missing (run() looks at everything once, then). */
  private synced = false;

  constructor(o: GarbageCollectorOptions) {
    this.o = o;
    this.log = o.logger.child({ controller: CONTROLLER });
    this.writer = new GcWriter(o.client, this.log, o.metrics);
    for (const kind of o.kinds ?? KIND_NAMES) {
      if (o.ignoredKinds?.includes(kind)) continue;
      // The collector reads metadata only, the same for every kind: one informer type for all.
      const inf = o.informers.informerFor(kind) as unknown as Informer<HasMeta>;
      indexByOwnerUid(inf.store);
      inf.addEventHandler({
        add: (obj) => this.changed(kind, undefined, obj),
        update: (old, obj) => this.changed(kind, old, obj),
        delete: (obj) => this.deleted(obj),
      });
      this.monitors.set(kind, inf);
    }
  }

  /** The kinds this collector watches. */
  get kinds(): KindName[] {
    return [...this.monitors.keys()];
  }

  run(workers: number, signal: AbortSignal): Promise<void> {
    // What changed while no collector ran (owners deleted meanwhile): look at each object once, now
    // that every cache is filled.
    const afterSync = () => {
      this.synced = true;
      for (const [kind, inf] of this.monitors) for (const obj of inf.store.list()) this.changed(kind, undefined, obj);
    };
    const informers = [...this.monitors.values()];
    const { recorder, metrics } = this.o;
    const objectFor = (item: string) => {
      const found = this.cached(item);
      return found?.obj && { kind: found.kind, apiVersion: KINDS[found.kind].apiVersion, metadata: found.obj.metadata };
    };
    const details = { kinds: this.kinds };
    return runController({ name: CONTROLLER, queue: this.queue, informers, workers, sync: (item) => this.sync(item), objectFor, afterSync, recorder, metrics, logger: this.log, details }, signal);
  }

  // ---- Informer events: enqueue what may need the collector ----

  /** Added or updated: an owner being deleted with our finalizer, or a dependent whose owner is not cached. */
  private changed(kind: KindName, old: Obj | undefined, obj: Obj): void {
    const m = obj.metadata;
    if (!m) return;
    if (m.deletionTimestamp && hasCollectorFinalizer(m)) {
      this.enqueue(kind, obj);
      return;
    }
    // References dropped (orphaned, or released by its controller): an owner in Foreground may
    // have been waiting for this one.
    for (const ref of old?.metadata?.ownerReferences ?? []) {
      if (!m.ownerReferences.some((r) => r.uid === ref.uid)) this.enqueueOwner(ref, m.namespace);
    }
    if (this.synced && m.ownerReferences.some((ref) => !this.ownerInCache(ref, m.namespace))) this.enqueue(kind, obj);
  }

  private deleted(obj: Obj): void {
    const m = obj.metadata;
    if (!m) return;
    // Its dependents may have lost their last owner.
    for (const [kind, dep] of this.dependentsOf(m.uid)) this.enqueue(kind, dep);
    // An owner in Foreground may have been waiting for this one.
    for (const ref of m.ownerReferences) this.enqueueOwner(ref, m.namespace);
  }

  private enqueue(kind: KindName, obj: Obj): void {
    this.queue.add(`${kind}:${objectKey(obj)}`);
  }

  /** Queues the owner a reference names, if it is of a kind watched here. */
  private enqueueOwner(ref: DeepReadonly<OwnerReference>, dependentNamespace: string): void {
    if (!isKindName(ref.kind) || !this.monitors.has(ref.kind)) return;
    const ns = KINDS[ref.kind].namespaced ? dependentNamespace : "";
    this.queue.add(`${ref.kind}:${ns ? `${ns}/` : ""}${ref.name}`);
  }

  /** Is the owner in the cache? Owners of kinds not watched here count as present: not ours to judge. */
  private ownerInCache(ref: DeepReadonly<OwnerReference>, dependentNamespace: string): boolean {
    const kind = ref.kind;
    const inf = isKindName(kind) ? this.monitors.get(kind) : undefined;
    if (!inf || !isKindName(kind)) return true;
    const namespaced = KINDS[kind].namespaced;
    if (namespaced && !dependentNamespace) return true; // invalid reference: ownerState leaves it alone
    return inf.store.get(namespaced ? `${dependentNamespace}/${ref.name}` : ref.name)?.metadata?.uid === ref.uid;
  }

  /** Every cached object, of any watched kind, whose ownerReferences name uid. */
  private dependentsOf(uid: string): Array<[KindName, Obj]> {
    const out: Array<[KindName, Obj]> = [];
    for (const [kind, inf] of this.monitors) for (const dep of inf.store.byIndex(OWNER_UID_INDEX, uid)) out.push([kind, dep]);
    return out;
  }

  // ---- sync: one object as it stands ----

  /** The work item's kind and its object in the cache (undefined: gone), or undefined for an unknown kind. */
  private cached(item: string): { kind: KindName; obj: Obj | undefined } | undefined {
    const colon = item.indexOf(":");
    const kind = item.slice(0, colon);
    if (!isKindName(kind) || !this.monitors.has(kind)) return undefined;
    return { kind, obj: this.monitors.get(kind)?.store.get(item.slice(colon + 1)) };
  }

  async sync(item: string): Promise<void> {
    const found = this.cached(item);
    if (!found) {
      this.log.warn({ item }, "unknown work item dropped");
      return;
    }
    const { kind } = found;
    const m = found.obj?.metadata;
    if (!m) return; // gone: its delete event queued its dependents and owners
    if (m.deletionTimestamp) {
      if (m.finalizers.includes(ORPHAN_FINALIZER)) return this.orphanDependents(kind, m);
      if (m.finalizers.includes(FOREGROUND_FINALIZER)) return this.deleteDependentsFirst(kind, m);
      return; // going already
    }
    if (m.ownerReferences.length > 0) await this.attemptToDelete(kind, m);
  }

  /** Kubernetes' attemptToDeleteItem: a dependent whose owners are all gone or going goes too. */
  private async attemptToDelete(kind: KindName, m: Meta): Promise<void> {
    const { solid, dangling, waiting } = await classifyOwners(this.o.client, m.ownerReferences, m.namespace);
    if (dangling.length === 0 && waiting.length === 0) return;
    if (solid.length > 0) {
      // Another owner keeps it: only the references to owners gone or going are removed.
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      await this.updateMeta(kind, m, (dm) => removeOwnerRefs(dm, drop));
      return;
    }
    // Under an owner that waits (Foreground), a dependent with dependents of its own goes in
    // Foreground too, so the wait reaches down the whole tree; anything else in Background.
    const policy = waiting.length > 0 && this.dependentsOf(m.uid).length > 0 ? "Foreground" : "Background";
    await this.writer.delete(kind, m, policy);
  }

  /** Foreground (Kubernetes' processDeletingDependentsItem): dependents first, then the owner. */
  private async deleteDependentsFirst(kind: KindName, m: Meta): Promise<void> {
    const deps = this.dependentsOf(m.uid);
    const blocking = deps.filter(([, d]) => d.metadata?.ownerReferences.some((r) => r.uid === m.uid && r.blockOwnerDeletion === true));
    if (blocking.length === 0) {
      await this.updateMeta(kind, m, (om) => removeFinalizer(om, FOREGROUND_FINALIZER));
      return;
    }
    // Each dependent decides for itself (attemptToDelete): it goes, or, kept by another owner, drops
    // its reference to this one. Their delete or update events requeue this owner.
    for (const [dk, d] of deps) if (!d.metadata?.deletionTimestamp) this.enqueue(dk, d);
  }

  /** Orphan (Kubernetes' attemptToOrphan): cut every dependent loose, then let the owner go. */
  private async orphanDependents(kind: KindName, m: Meta): Promise<void> {
    const deps = this.dependentsOf(m.uid);
    const drop = new Set([m.uid]);
    for (const [dk, d] of deps) {
      const dm = d.metadata;
      if (dm) await this.updateMeta(dk, dm, (x) => removeOwnerRefs(x, drop));
    }
    if (deps.length > 0) this.log.info({ owner: `${kind}/${metaKey(m)}`, orphaned: deps.length }, "orphaned dependents");
    await this.updateMeta(kind, m, (om) => removeFinalizer(om, ORPHAN_FINALIZER));
  }

  private updateMeta(kind: KindName, m: Meta, change: (m: ObjectMeta) => boolean): Promise<void> {
    const cached = this.monitors.get(kind)?.store.get(metaKey(m));
    return cached ? this.writer.updateMeta(kind, cached, change) : Promise.resolve();
  }
}

function hasCollectorFinalizer(m: Meta): boolean {
  return m.finalizers.includes(FOREGROUND_FINALIZER) || m.finalizers.includes(ORPHAN_FINALIZER);
}

function metaKey(m: Meta): string {
  return m.namespace ? `${m.namespace}/${m.name}` : m.name;
}

function removeOwnerRefs(m: ObjectMeta, uids: ReadonlySet<string>): boolean {
  const kept = m.ownerReferences.filter((r) => !uids.has(r.uid));
  if (kept.length === m.ownerReferences.length) return false;
  m.ownerReferences = kept;
  return true;
}

function removeFinalizer(m: ObjectMeta, finalizer: string): boolean {
  if (!m.finalizers.includes(finalizer)) return false;
  m.finalizers = m.finalizers.filter((f) => f !== finalizer);
  return true;
}
