// Delete, as Kubernetes does it: preconditions, finalizers (an object with finalizers only gets a
// deletionTimestamp), propagation policies (Foreground and Orphan add the finalizer the garbage
// collector acts on), graceful deletion of pods on a node (they stay, with a deletionTimestamp,
// until their kubelet deletes them with grace 0) and namespaces (Terminating, then emptied).
import type { KindName, KindTypes, Namespace, Pod } from "@mk/proto";
import { metaOf } from "@mk/proto";
import { ForbiddenError, InvalidError, PreconditionFailedError } from "@mk/proto/client";
import { UNDELETABLE_NAMESPACES } from "./namespace.js";
import { awaitsNamespaceController, checkUid, Removal, type Store, timestamp } from "./store.js";

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
  if (kind === "Namespace" && UNDELETABLE_NAMESPACES.includes(name)) {
    throw new ForbiddenError(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
  }
  // A client's resourceVersion precondition failing is the answer; else a race reads again.
  const retryOnConflict = !opts.preconditions?.resourceVersion;
  const out = await store.guaranteedUpdate(kind, namespace, name, { operation: "delete", dryRun: opts.dryRun, retryOnConflict }, (current) => deletionOf(store, kind, current, opts));
  return { object: out.object, pending: !out.removed };
}

/** The tryUpdate of Delete: the object marked for deletion (it stays), or its Removal (it goes now). */
function deletionOf<K extends KindName>(store: Store, kind: K, obj: KindTypes[K], opts: DeleteOpts): KindTypes[K] | Removal<K> {
  const meta = metaOf(obj);
  const rv = meta.resourceVersion;
  const pre = opts.preconditions;
  checkUid(pre?.uid, meta.uid);
  if (pre?.resourceVersion && pre.resourceVersion !== rv) {
    throw new PreconditionFailedError(`Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${rv}`);
  }
  const now = store.now();
  const next = store.copyOf(kind, obj);
  const nextMeta = metaOf(next);

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
    // A namespace always goes through Terminating: the controller manager's namespace controller
    // empties it, removes `kubernetes` from spec.finalizers and deletes it again, which removes it
    // once no finalizer of either list is left.
    if (meta.deletionTimestamp && fins.length === 0 && !awaitsNamespaceController(kind, next)) return new Removal(next);
    nextMeta.deletionTimestamp ||= timestamp(now);
    nextMeta.deletionGracePeriodSeconds = 0;
    (next as Namespace).status = { phase: "Terminating" };
    return next;
  }

  let grace = 0;
  if (kind === "Pod") grace = podGrace(next as Pod, opts.gracePeriodSeconds);
  const previousGrace = meta.deletionGracePeriodSeconds;
  // A second delete may shorten a pending grace period, never lengthen it.
  if (meta.deletionTimestamp && previousGrace !== undefined && previousGrace < grace) grace = previousGrace;

  if (fins.length === 0 && grace === 0) return new Removal(next);

  // Stays, marked: the deletion is pending on a kubelet (grace) or on finalizers. An object already
  // pending as asked compares equal to the stored one, and guaranteedUpdate writes nothing.
  if (!meta.deletionTimestamp || grace !== previousGrace) {
    nextMeta.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
    nextMeta.deletionGracePeriodSeconds = grace;
  }
  return next;
}
