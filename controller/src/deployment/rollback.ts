// Rollback (kubectl's DeploymentRollbacker, which mkctl mirrors): choose the ReplicaSet of a revision
// (0: the one before the current), and put its template, minus the pod-template-hash label, back into
// the Deployment; the controller then re-uses that ReplicaSet and gives it the next revision.
import type { PodTemplateSpec } from "@mk/proto";
import { equalIgnoreHash, revisionOf, templateWithoutHash } from "./revision.js";
import { ANNOTATIONS_TO_SKIP } from "./util.js";
import type { RS, RoDeployment } from "../types.js";

export type RollbackPlan =
  | { kind: "rollback"; template: PodTemplateSpec; annotations: Record<string, string>; revision: number }
  | { kind: "skipped"; message: string }
  | { kind: "error"; message: string };

/** The ReplicaSet of `toRevision`, or with 0 the one of the second-highest revision. */
export function findRevision(d: RoDeployment, rss: readonly RS[], toRevision: number): RS | string {
  if (toRevision < 0) return `unable to find specified revision ${toRevision} in history`;
  let latest: RS | undefined;
  let latestRev = -1;
  let previous: RS | undefined;
  let previousRev = -1;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (v === undefined) continue;
    if (toRevision === 0) {
      if (latestRev < v) {
        previous = latest;
        previousRev = latestRev;
        latest = rs;
        latestRev = v;
      } else if (previousRev < v) {
        previous = rs;
        previousRev = v;
      }
    } else if (v === toRevision) {
      return rs;
    }
  }
  if (toRevision > 0) return `unable to find specified revision ${toRevision} in history`;
  if (!previous) return `no rollout history found for deployment "${d.metadata?.name ?? ""}"`;
  return previous;
}

export function planRollback(d: RoDeployment, rss: readonly RS[], toRevision: number): RollbackPlan {
  if (d.spec?.paused) {
    return { kind: "error", message: "you cannot rollback a paused deployment; resume it first with 'mkctl rollout resume' and try again" };
  }
  const found = findRevision(d, rss, toRevision);
  if (typeof found === "string") return { kind: "error", message: found };
  const revision = revisionOf(found) ?? 0;
  if (equalIgnoreHash(found.spec?.template, d.spec?.template)) {
    return { kind: "skipped", message: `skipped rollback (current template already matches revision ${toRevision || revision})` };
  }
  // The Deployment keeps its own per-RS annotations (revision …) and takes the others (change-cause)
  // from the ReplicaSet it goes back to.
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(found.metadata?.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  return { kind: "rollback", template: templateWithoutHash(found.spec?.template), annotations, revision };
}
