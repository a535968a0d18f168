// RollingUpdate, as Kubernetes' rolling.go: scale the new ReplicaSet up while the total stays within
// replicas + maxSurge, then scale old ones down while availability stays at least replicas - maxUnavailable.
// These functions only decide; the controller applies the ScaleActions they return, and a later sync
// (woken by the ReplicaSets' status changing) takes the next step.
import {
  availableReplicaCount,
  byCreation,
  isRollingUpdate,
  maxSurge,
  maxUnavailable,
  replicaCount,
  specReplicas,
} from "./util.js";
import type { RS, RoDeployment } from "../types.js";

/** Set `rs` to `to` replicas (it has `from`); `reason` says which rule asked for it. */
export interface ScaleAction {
  rs: RS;
  from: number;
  to: number;
  reason: string;
}

/**
 * The size the new ReplicaSet may grow to now (Kubernetes' NewRSNewReplicas).
 * 10 replicas, maxSurge 3, the sets hold 8 old + 3 new = 11: the total may reach 13, so the new set
 * may grow by min(13 - 11, 10 - 3) = 2, to 5.
 */
export function newRSNewReplicas(d: RoDeployment, allRSs: readonly RS[], newRS: RS): number {
  const desired = specReplicas(d);
  if (!isRollingUpdate(d)) return desired;
  const maxTotal = desired + maxSurge(d);
  const current = replicaCount(allRSs);
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, desired - specReplicas(newRS));
  return specReplicas(newRS) + up;
}

/** The new ReplicaSet's next size, or undefined when it stays (Kubernetes' reconcileNewReplicaSet). */
export function reconcileNewReplicaSet(d: RoDeployment, allRSs: readonly RS[], newRS: RS): ScaleAction | undefined {
  const desired = specReplicas(d);
  const have = specReplicas(newRS);
  if (have === desired) return undefined;
  if (have > desired) return { rs: newRS, from: have, to: desired, reason: "new replica set above the deployment's replicas" };
  const to = newRSNewReplicas(d, allRSs, newRS);
  return to === have ? undefined : { rs: newRS, from: have, to, reason: "rolling update: surge room" };
}

/**
 * Old ReplicaSets' next sizes (Kubernetes' reconcileOldReplicaSets): first unhealthy pods of old sets,
 * which cost no availability, then healthy ones while availability allows. `oldRSs` are the active old
 * sets. Each ReplicaSet appears at most once, with its final size.
 */
export function reconcileOldReplicaSets(
  d: RoDeployment,
  allRSs: readonly RS[],
  oldRSs: readonly RS[],
  newRS: RS,
): ScaleAction[] {
  const oldPods = replicaCount(oldRSs);
  if (oldPods === 0) return [];
  const allPods = replicaCount(allRSs);
  const minAvailable = specReplicas(d) - maxUnavailable(d);
  const newRSUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  // We may scale down as far as keeps minAvailable even if every unavailable pod of the new set stays
  // unavailable. 10 replicas, maxUnavailable 2 (minAvailable 8), maxSurge 3: the sets hold 13 pods,
  // the new set 5 of them of which 3 are unavailable → at most 13 - 8 - 3 = 2 pods may go now.
  // Counting the new set's unavailable pods keeps a stuck new set from draining the old ones.
  const maxScaledDown = allPods - minAvailable - newRSUnavailable;
  if (maxScaledDown <= 0) return [];

  const sizes = new Map<RS, number>(oldRSs.map((rs) => [rs, specReplicas(rs)]));
  const reasons = new Map<RS, string>();
  const cleaned = cleanupUnhealthyReplicas(oldRSs, maxScaledDown);
  for (const a of cleaned) {
    sizes.set(a.rs, a.to);
    reasons.set(a.rs, a.reason);
  }
  const after = oldRSs.map((rs) => ({ rs, replicas: sizes.get(rs) ?? specReplicas(rs) }));
  const scaled = scaleDownOldReplicaSetsForRollingUpdate(d, [...allRSs], after);
  for (const a of scaled) {
    sizes.set(a.rs, a.to);
    reasons.set(a.rs, reasons.has(a.rs) ? `${reasons.get(a.rs)}; ${a.reason}` : a.reason);
  }
  const out: ScaleAction[] = [];
  for (const rs of [...oldRSs].sort(byCreation)) {
    const to = sizes.get(rs) ?? specReplicas(rs);
    if (to !== specReplicas(rs)) out.push({ rs, from: specReplicas(rs), to, reason: reasons.get(rs) ?? "" });
  }
  return out;
}

/**
 * Takes unhealthy pods (asked for but not available) out of old sets, oldest set first, at most
 * maxCleanup in all: an old set of 4 with 1 available gives up to 3 pods without costing availability.
 * The ReplicaSet controller deletes not-ready pods first, so these are the ones that go.
 */
export function cleanupUnhealthyReplicas(oldRSs: readonly RS[], maxCleanup: number): ScaleAction[] {
  const out: ScaleAction[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= maxCleanup) break;
    const have = specReplicas(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (have === 0 || have <= available) continue;
    const down = Math.min(maxCleanup - total, have - available);
    out.push({ rs, from: have, to: have - down, reason: "unhealthy replicas of an old replica set" });
    total += down;
  }
  return out;
}

/**
 * Scales old sets down, oldest first, by as many pods as are available above minAvailable.
 * 3 replicas at 25 %/25 % (minAvailable 3) with old 3 + new 1 all available: 4 - 3 = 1 old pod may go.
 *
 * A set counts at most as many available pods as it asks for: right after a scale-down its status
 * still counts the pods being deleted. 10 replicas, minAvailable 8: old 3 → 2 with new 7 available;
 * the next sync, before the old set's status catches up, would see 3 + 7 = 10 available and take the
 * old set to 0, leaving 7. Capped, it sees 2 + 7 = 9 and takes one.
 */
export function scaleDownOldReplicaSetsForRollingUpdate(
  d: RoDeployment,
  allRSs: readonly RS[],
  oldRSs: readonly { rs: RS; replicas: number }[],
): ScaleAction[] {
  const minAvailable = specReplicas(d) - maxUnavailable(d);
  const available = allRSs.reduce((n, rs) => n + Math.min(availableReplicaCount([rs]), specReplicas(rs)), 0);
  if (available <= minAvailable) return [];
  const totalDown = available - minAvailable;
  let done = 0;
  const out: ScaleAction[] = [];
  for (const { rs, replicas } of [...oldRSs].sort((a, b) => byCreation(a.rs, b.rs))) {
    if (done >= totalDown) break;
    if (replicas === 0) continue;
    const down = Math.min(replicas, totalDown - done);
    out.push({ rs, from: replicas, to: replicas - down, reason: "rolling update: availability allows" });
    done += down;
  }
  return out;
}
