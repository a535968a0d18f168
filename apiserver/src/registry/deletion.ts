// Delete, as Kubernetes does it: preconditions, finalizers (an object with finalizers only gets a
// deletionTimestamp), propagation policies (Foreground and Orphan add the finalizer the garbage
// collector acts on), graceful deletion of pods on a node (they stay, with a deletionTimestamp,
// until their kubelet deletes them with grace 0) and namespaces (Terminating, then emptied).
import type { KindName, KindTypes, Namespace, Pod } from "@mk/proto";
import { KINDS, metaOf } from "@mk/proto";
import { ConflictError, ForbiddenError, InvalidError } from "@mk/proto/client";
import { UNDELETABLE_NAMESPACES } from "./namespace.js";
import { type Store, timestamp } from "./store.js";

export const FOREGROUND_FINALIZER = "foregroundDeletion";
export const ORPHAN_FINALIZER = "orphan";
const POLICIES = ["Background", "Foreground", "Orphan"];

export interface DeleteOpts {
  gracePeriodSeconds?: number | undefined;
  propagationPolicy: string;
  preconditions?: { uid?: string | undefined; resourceVersion?: string | undefined } | undefined;
  dryRun: boolean;
}

export interface DeleteOutcome<K extends KindName> {
  object: KindTypes[K];
  /** Still there: waiting for its kubelet, its finalizers, or (namespaces) its content. */
  pending: boolean;
}

/** The grace period a pod gets: the option, else its spec's; 0 when no kubelet has it. */
function podGrace(pod: Pod, option: number | undefined): number {
  if (!pod.spec?.nodeName) return 0; // never started anywhere: nothing to stop
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return 0;
  return Math.max(0, option ?? pod.spec.terminationGracePeriodSeconds ?? 30);
}

export async function deleteObject<K extends KindName>(store: Store, kind: K, namespace: string, name: string, opts: DeleteOpts): Promise<DeleteOutcome<K>> {
  if (opts.propagationPolicy && !POLICIES.includes(opts.propagationPolicy)) {
    throw new InvalidError(`propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Background", "Foreground", "Orphan"`, [
      { field: "propagationPolicy", type: "Unsupported", value: JSON.stringify(opts.propagationPolicy), detail: 'supported values: "Background", "Foreground", "Orphan"' },
    ]);
  }
  if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) {
    throw new InvalidError(`gracePeriodSeconds: Invalid value: ${opts.gracePeriodSeconds}: must be greater than or equal to 0`, [
      { field: "gracePeriodSeconds", type: "Invalid", value: String(opts.gracePeriodSeconds), detail: "must be greater than or equal to 0" },
    ]);
  }
  const ns = store.namespaceFor(kind, namespace);
  if (kind === "Namespace" && UNDELETABLE_NAMESPACES.includes(name)) {
    throw new ForbiddenError(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
  }
  for (let attempt = 0; ; attempt++) {
    const current = await store.get(kind, ns, name);
    try {
      return await deleteOnce(store, kind, current, opts);
    } catch (err) {
      // Someone wrote the object between our read and our write: read again (not when the
      // client's own resourceVersion precondition is what failed).
      if (err instanceof ConflictError && !opts.preconditions?.resourceVersion && !err.message.startsWith("Precondition") && attempt < 20) continue;
      throw err;
    }
  }
}

async function deleteOnce<K extends KindName>(store: Store, kind: K, obj: KindTypes[K], opts: DeleteOpts): Promise<DeleteOutcome<K>> {
  const meta = metaOf(obj);
  const rv = meta.resourceVersion;
  const pre = opts.preconditions;
  if (pre?.uid && pre.uid !== meta.uid) {
    throw new ConflictError(`Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`);
  }
  if (pre?.resourceVersion && pre.resourceVersion !== rv) {
    throw new ConflictError(`Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${rv}`);
  }
  const now = store.now();
  const info = KINDS[kind];
  const codec = info.codec;
  const next = codec.decode(codec.encode(obj).finish());
  const nextMeta = metaOf(next);
  nextMeta.resourceVersion = rv;

  // Finalizers for the garbage collector, from the propagation policy.
  const policy = opts.propagationPolicy;
  const fins = nextMeta.finalizers.filter((f) => !(policy && (f === FOREGROUND_FINALIZER || f === ORPHAN_FINALIZER)));
  if (policy === "Foreground") fins.push(FOREGROUND_FINALIZER);
  else if (policy === "Orphan") fins.push(ORPHAN_FINALIZER);
  else if (!policy) {
    for (const f of [FOREGROUND_FINALIZER, ORPHAN_FINALIZER]) if (meta.finalizers.includes(f) && !fins.includes(f)) fins.push(f);
  }
  nextMeta.finalizers = fins;

  if (kind === "Namespace") {
    // A namespace always goes through Terminating: the namespace cleanup empties it, then deletes it.
    const nsObj = next as Namespace;
    nextMeta.deletionTimestamp ||= timestamp(now);
    nextMeta.deletionGracePeriodSeconds = 0;
    nsObj.status = { phase: "Terminating" };
    if (opts.dryRun) return { object: next, pending: true };
    if (meta.deletionTimestamp && meta.finalizers.join() === fins.join()) return { object: obj, pending: true };
    const written = await store.storage.update(kind, next, rv);
    store.namespaces.observe(written as Namespace);
    return { object: written, pending: true };
  }

  let grace = 0;
  if (kind === "Pod") grace = podGrace(next as Pod, opts.gracePeriodSeconds);
  const previousGrace = meta.deletionGracePeriodSeconds;
  // A second delete may shorten a pending grace period, never lengthen it.
  if (meta.deletionTimestamp && previousGrace !== undefined && previousGrace < grace) grace = previousGrace;

  if (fins.length === 0 && grace === 0) {
    if (opts.dryRun) return { object: next, pending: false };
    await store.storage.remove(kind, nextMeta.namespace, nextMeta.name, rv);
    return { object: next, pending: false };
  }

  // Stays, marked: the deletion is pending on a kubelet (grace) or on finalizers.
  if (!meta.deletionTimestamp || grace !== previousGrace) {
    nextMeta.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
    nextMeta.deletionGracePeriodSeconds = grace;
  }
  if (opts.dryRun) return { object: next, pending: true };
  if (
    meta.deletionTimestamp === nextMeta.deletionTimestamp &&
    meta.deletionGracePeriodSeconds === nextMeta.deletionGracePeriodSeconds &&
    meta.finalizers.join() === fins.join()
  ) {
    return { object: obj, pending: true }; // already pending as asked: nothing to write
  }
  const written = await store.storage.update(kind, next, rv, { ttlSeconds: store.ttlOf(kind) });
  return { object: written, pending: true };
}
