// Which ReplicaSet of a Deployment is new, and the revision bookkeeping the controller writes: the
// revision annotation on the new ReplicaSet and the Deployment, with the history of a re-used one
// (rollback). Reading revisions and comparing templates is shared with mkctl, in @mk/proto.
import {
  cloneObject,
  type Deployment,
  equalIgnoreHash,
  PER_OBJECT_ANNOTATIONS,
  type ReplicaSet,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
} from "@mk/proto";
import { byCreation, maxSurge, setReplicasAnnotations, specReplicas } from "./util.js";
import type { RoDeployment, RS } from "../types.js";

/** Kubernetes keeps revision-history under this many characters, dropping the oldest entries. */
export const MAX_REVISION_HISTORY_CHARS = 2000;

/** The oldest ReplicaSet whose template equals the Deployment's: the new one. */
export function findNewReplicaSet(d: RoDeployment, rss: readonly RS[]): RS | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** Every ReplicaSet but the new one. */
export function findOldReplicaSets(rss: readonly RS[], newRS: RS | undefined): RS[] {
  const uid = newRS?.metadata?.uid;
  return rss.filter((rs) => rs !== newRS && (uid === undefined || rs.metadata?.uid !== uid));
}

/**
 * Copies the Deployment's annotations (change-cause …, not the per-RS ones) to the ReplicaSet, sets its
 * revision, and when a ReplicaSet that already had a revision is re-used (rollback) keeps the old one in
 * revision-history: revision 1 re-used as 3 → revision "3", revision-history "1". `rs` must be a clone.
 */
export function setNewReplicaSetAnnotations(d: RoDeployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  if (!rs.metadata) return false;
  const a = { ...rs.metadata.annotations };
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (PER_OBJECT_ANNOTATIONS.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const oldRevisionText = a[REVISION_ANNOTATION];
  let oldRevision = 0;
  if (oldRevisionText !== undefined) {
    // A revision that is not a number was written by someone else: leave the ReplicaSet alone.
    if (!/^\d+$/.test(oldRevisionText)) return changed;
    oldRevision = Number(oldRevisionText);
  }
  if (oldRevision < newRevision) {
    a[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (oldRevisionText !== undefined) {
      const history = a[REVISION_HISTORY_ANNOTATION];
      const entries = history ? history.split(",") : [];
      entries.push(oldRevisionText);
      while (entries.join(",").length > MAX_REVISION_HISTORY_CHARS && entries.length > 1) entries.shift();
      a[REVISION_HISTORY_ANNOTATION] = entries.join(",");
    }
  }
  rs.metadata.annotations = a;
  if (!exists) {
    const desired = specReplicas(d);
    if (setReplicasAnnotations(rs, desired, desired + maxSurge(d))) changed = true;
  }
  return changed;
}

/** Sets the Deployment's revision annotation (on a clone); returns whether it changed. */
export function setDeploymentRevision(d: Deployment, revision: string): boolean {
  if (!d.metadata || d.metadata.annotations[REVISION_ANNOTATION] === revision) return false;
  d.metadata.annotations = { ...d.metadata.annotations, [REVISION_ANNOTATION]: revision };
  return true;
}

/** A clone of a ReplicaSet for writing. */
export function cloneRS(rs: RS): ReplicaSet {
  return cloneObject("ReplicaSet", rs as ReplicaSet);
}
