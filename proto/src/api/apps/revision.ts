// Revisions of a Deployment (the `deployment.kubernetes.io/revision` annotation on it and on each of
// its ReplicaSets), template equality that ignores the pod-template-hash label, and what a rollback
// needs: the ReplicaSet of a revision, its template minus the hash label, the annotations to carry.
// The controller and mkctl's `rollout` both read revisions this way.
import { PodTemplateSpec } from "../../gen/mk/v1/core.js";
import type { DeepReadonly } from "../readonly.js";
import { canonicalTemplate } from "./hash.js";
import { PER_OBJECT_ANNOTATIONS, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from "./labels.js";

/** A Deployment or ReplicaSet, mutable or read-only: all the revision helpers read. */
export interface Annotated {
  readonly metadata?: { readonly name: string; readonly annotations: { readonly [key: string]: string } } | undefined;
}

type Template = DeepReadonly<PodTemplateSpec> | undefined;

/** The revision of a ReplicaSet or Deployment; undefined when absent or not a number. */
export function revisionOf(obj: Annotated): number | undefined {
  const v = obj.metadata?.annotations?.[REVISION_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** The highest revision among the ReplicaSets, 0 when none has one. */
export function maxRevision(rss: readonly Annotated[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs) ?? 0), 0);
}

/** A copy of the template minus its pod-template-hash label (what undo puts back into the Deployment). */
export function templateWithoutHash(t: Template): PodTemplateSpec {
  // encode only reads: the cast lets a read-only cached template through.
  const c = PodTemplateSpec.decode(PodTemplateSpec.encode((t ?? PodTemplateSpec.fromPartial({})) as PodTemplateSpec).finish());
  if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return c;
}

/** Templates equal once the pod-template-hash label is taken out of both. */
export function equalIgnoreHash(a: Template, b: Template): boolean {
  return canonicalTemplate(templateWithoutHash(a)) === canonicalTemplate(templateWithoutHash(b));
}

export type RevisionLookup<T> = { found: true; replicaSet: T; revision: number } | { found: false; message: string };

/**
 * kubectl's deploymentRevision: the ReplicaSet of `toRevision`, or with 0 the one of the second-highest
 * revision (the one before the current). Revisions 1, 2, 3 → 0 finds 2, 2 finds 2, 7 finds nothing.
 */
export function findRevision<T extends Annotated>(deploymentName: string, rss: readonly T[], toRevision: number): RevisionLookup<T> {
  const missing = { found: false, message: `unable to find specified revision ${toRevision} in history` } as const;
  if (toRevision < 0) return missing;
  let latest: { rs: T; v: number } | undefined;
  let previous: { rs: T; v: number } | undefined;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (v === undefined) continue;
    if (toRevision > 0) {
      if (v === toRevision) return { found: true, replicaSet: rs, revision: v };
    } else if (!latest || latest.v < v) {
      previous = latest;
      latest = { rs, v };
    } else if (!previous || previous.v < v) {
      previous = { rs, v };
    }
  }
  if (toRevision > 0) return missing;
  if (!previous) return { found: false, message: `no rollout history found for deployment "${deploymentName}"` };
  return { found: true, replicaSet: previous.rs, revision: previous.v };
}

/**
 * The annotations of a Deployment rolled back to a ReplicaSet: it keeps its own per-object ones
 * (revision …) and takes the others (change-cause …) from the ReplicaSet it goes back to.
 */
export function rollbackAnnotations(d: Annotated, rs: Annotated): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (PER_OBJECT_ANNOTATIONS.has(k)) out[k] = v;
  for (const [k, v] of Object.entries(rs.metadata?.annotations ?? {})) if (!PER_OBJECT_ANNOTATIONS.has(k)) out[k] = v;
  return out;
}
