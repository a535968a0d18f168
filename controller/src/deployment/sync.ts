// Scaling without rolling (Kubernetes' sync.go): a change of spec.replicas, mid-rollout or while
// paused, is spread over the active ReplicaSets in proportion to their size, and the old, empty
// ReplicaSets beyond revisionHistoryLimit are chosen for deletion.
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, revisionOf } from "@mk/proto";
import type { ScaleAction } from "./rolling.js";
import {
  byCreation,
  bySizeNewer,
  bySizeOlder,
  filterActive,
  findActiveOrLatest,
  intAnnotation,
  isRollingUpdate,
  isSaturated,
  maxSurge,
  replicaCount,
  specReplicas,
} from "./util.js";
import type { RS, RoDeployment } from "../types.js";

/**
 * Whether spec.replicas changed since the active ReplicaSets were last sized: their desired-replicas
 * annotation records the deployment's replicas at that time.
 */
export function isScalingEvent(d: RoDeployment, allRSs: readonly (RS | undefined)[]): boolean {
  const desired = specReplicas(d);
  return filterActive(allRSs).some((rs) => {
    const a = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
    return a !== undefined && a !== desired;
  });
}

/**
 * This ReplicaSet's share of `toAdd` (negative: to remove), capped by what is still left to hand out
 * (Kubernetes' GetReplicaSetProportion).
 */
export function replicaSetProportion(rs: RS, d: RoDeployment, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * How much this set grows when the deployment's size limit goes from the one it was sized for (its
 * max-replicas annotation) to the current one: an old set of 8 sized for 13 (10 + surge 3), now 18
 * (15 + 3), becomes round(8 × 18 / 13) = round(11.08) = 11, a fraction of +3.
 */
export function replicaSetFraction(rs: RS, d: RoDeployment): number {
  const replicas = specReplicas(rs);
  if (specReplicas(d) === 0) return -replicas;
  const maxNow = specReplicas(d) + maxSurge(d);
  let maxBefore = intAnnotation(rs, MAX_REPLICAS_ANNOTATION);
  if (maxBefore === undefined || maxBefore === 0) {
    // No annotation (someone scaled the set by hand): take the deployment's last reported size.
    maxBefore = d.status?.replicas ?? 0;
    if (maxBefore === 0) return 0;
  }
  // Go's math.Round: halves away from zero (sizes are positive here).
  return Math.round((replicas * maxNow) / maxBefore) - replicas;
}

/**
 * The ScaleActions of Kubernetes' DeploymentController.scale. Every active set is listed when sizes or
 * annotations must change, with `to` equal to `from` when only the annotations do.
 */
export function scale(d: RoDeployment, newRS: RS | undefined, oldRSs: readonly RS[]): ScaleAction[] {
  const desired = specReplicas(d);
  // One active set (or none): it simply takes the whole count.
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if (specReplicas(activeOrLatest) === desired) return [];
    return [{ rs: activeOrLatest, from: specReplicas(activeOrLatest), to: desired, reason: "only active replica set" }];
  }
  // A saturated new set with old ones still active (adoption): the old ones go to 0.
  if (isSaturated(d, newRS)) {
    return filterActive(oldRSs).map((rs) => ({ rs, from: specReplicas(rs), to: 0, reason: "new replica set is saturated" }));
  }
  if (!isRollingUpdate(d)) return [];

  const all = filterActive([...oldRSs, newRS]);
  const current = replicaCount(all);
  const allowed = desired > 0 ? desired + maxSurge(d) : 0;
  // Replicas to hand out (or take back) across the active sets, larger sets first: equal sizes give
  // newer sets more when scaling up and take from older sets first when scaling down.
  const toAdd = allowed - current;
  if (toAdd > 0) all.sort(bySizeNewer);
  else if (toAdd < 0) all.sort(bySizeOlder);

  let added = 0;
  const sizes = new Map<RS, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = replicaSetProportion(rs, d, toAdd, added);
      sizes.set(rs, specReplicas(rs) + p);
      added += p;
    } else {
      sizes.set(rs, specReplicas(rs));
    }
  }
  const first = all[0];
  // Rounding leaves a few over or under: the largest set absorbs them.
  if (first && toAdd !== 0) sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added));
  const op = toAdd > 0 ? "proportional scale up" : toAdd < 0 ? "proportional scale down" : "annotations only";
  return all.map((rs) => ({ rs, from: specReplicas(rs), to: sizes.get(rs) ?? specReplicas(rs), reason: op }));
}

/**
 * Old ReplicaSets to delete beyond revisionHistoryLimit: the lowest revisions first, only ones that are
 * empty, settled and not already going. Limit 2 with 5 old sets: up to the 3 oldest.
 */
export function replicaSetsToCleanUp(d: RoDeployment, oldRSs: readonly RS[]): RS[] {
  const limit = d.spec?.revisionHistoryLimit;
  if (limit === undefined) return [];
  const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return [];
  const byRevision = [...cleanable].sort((a, b) => (revisionOf(a) ?? 0) - (revisionOf(b) ?? 0) || byCreation(a, b));
  return byRevision.slice(0, diff).filter(
    (rs) =>
      (rs.status?.replicas ?? 0) === 0 &&
      specReplicas(rs) === 0 &&
      (rs.metadata?.generation ?? 0) <= (rs.status?.observedGeneration ?? 0),
  );
}
