// Deployment status and its conditions (Kubernetes' progress.go and sync.go calculateStatus):
// `Available` (minimum availability) and `Progressing` with Kubernetes' reasons, judged against
// progressDeadlineSeconds. Pure: the clock is a parameter.
import type { DeploymentCondition, DeploymentStatus } from "@mk/proto";
import {
  actualReplicaCount,
  availableReplicaCount,
  maxUnavailable,
  readyReplicaCount,
  replicaCount,
  specReplicas,
} from "./util.js";
import type { DeepReadonly } from "@mk/proto/informer";
import type { RS, RoDeployment } from "../types.js";

export const AVAILABLE = "Available";
export const PROGRESSING = "Progressing";
export const REPLICA_FAILURE = "ReplicaFailure";

// Kubernetes' reasons, word for word (deployment/util).
export const MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable";
export const MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable";
export const NEW_RS_REASON = "NewReplicaSetCreated";
export const FOUND_NEW_RS_REASON = "FoundNewReplicaSet";
export const RS_UPDATED_REASON = "ReplicaSetUpdated";
export const NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable";
export const TIMED_OUT_REASON = "ProgressDeadlineExceeded";
export const FAILED_RS_CREATE_REASON = "ReplicaSetCreateError";
export const PAUSED_DEPLOY_REASON = "DeploymentPaused";
export const RESUMED_DEPLOY_REASON = "DeploymentResumed";

/** RFC 3339 to the second, as Kubernetes writes condition times. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "Z");
}

export function newCondition(type: string, status: string, reason: string, message: string, now: Date): DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

export function getCondition(status: DeepReadonly<DeploymentStatus> | undefined, type: string): DeepReadonly<DeploymentCondition> | undefined {
  return status?.conditions.find((c) => c.type === type);
}

/**
 * Puts the condition into status (owned by the caller). Same status and reason: nothing changes (not
 * even lastUpdateTime). Same status, other reason: lastTransitionTime is kept.
 */
export function setCondition(status: DeploymentStatus, c: DeploymentCondition): void {
  const cur = getCondition(status, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  const next = { ...c };
  if (cur && cur.status === c.status) next.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...status.conditions.filter((x) => x.type !== c.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

/** progressDeadlineSeconds is set and is not "forever" (MaxInt32). */
export function hasProgressDeadline(d: RoDeployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== 2147483647;
}

/** The status the ReplicaSets add up to, with the Available condition (Kubernetes' calculateStatus). */
export function calculateStatus(allRSs: readonly (RS | undefined)[], newRS: RS | undefined, d: RoDeployment, now: Date): DeploymentStatus {
  const available = availableReplicaCount(allRSs);
  // Asked-for pods minus available ones; negative while scaling down (more available than asked), so 0.
  const unavailable = Math.max(0, replicaCount(allRSs) - available);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount([newRS]),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
    conditions: (d.status?.conditions ?? []).map((c) => ({ ...c })),
    collisionCount: d.status?.collisionCount,
    terminatingReplicas: d.status?.terminatingReplicas ?? 0,
  };
  // 10 replicas, maxUnavailable 2: Available while at least 8 pods are available.
  if (available >= specReplicas(d) - maxUnavailable(d)) {
    setCondition(status, newCondition(AVAILABLE, "True", MINIMUM_REPLICAS_AVAILABLE, "Deployment has minimum availability.", now));
  } else {
    setCondition(status, newCondition(AVAILABLE, "False", MINIMUM_REPLICAS_UNAVAILABLE, "Deployment does not have minimum availability.", now));
  }
  return status;
}

/** Every pod updated, existing and available, for the current generation. */
export function deploymentComplete(d: RoDeployment, s: DeploymentStatus): boolean {
  const n = specReplicas(d);
  return s.updatedReplicas === n && s.replicas === n && s.availableReplicas === n && s.observedGeneration >= (d.metadata?.generation ?? 0);
}

/** Whether the new status shows progress over the stored one: more updated, fewer old, more ready or available. */
export function deploymentProgressing(d: RoDeployment, s: DeploymentStatus): boolean {
  const old = d.status;
  const oldOld = (old?.replicas ?? 0) - (old?.updatedReplicas ?? 0);
  const newOld = s.replicas - s.updatedReplicas;
  return (
    s.updatedReplicas > (old?.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    s.readyReplicas > (old?.readyReplicas ?? 0) ||
    s.availableReplicas > (old?.availableReplicas ?? 0)
  );
}

/** Whether more than progressDeadlineSeconds passed since the Progressing condition last moved. */
export function deploymentTimedOut(d: RoDeployment, s: DeploymentStatus, now: Date): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, PROGRESSING);
  if (!c) return false;
  if (c.reason === NEW_RS_AVAILABLE_REASON) return false;
  if (c.reason === TIMED_OUT_REASON) return true;
  const from = Date.parse(c.lastUpdateTime);
  if (Number.isNaN(from)) return false;
  return from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 < now.getTime();
}

/**
 * The rollout status with the Progressing condition (Kubernetes' syncRolloutStatus): complete →
 * NewReplicaSetAvailable, progress → ReplicaSetUpdated (lastUpdateTime moves), no progress past the
 * deadline → ProgressDeadlineExceeded (status False).
 */
export function rolloutStatus(allRSs: readonly (RS | undefined)[], newRS: RS | undefined, d: RoDeployment, now: Date): DeploymentStatus {
  const s = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(s, PROGRESSING);
  const cur = getCondition(d.status, PROGRESSING);
  const complete = s.replicas === s.updatedReplicas && cur?.reason === NEW_RS_AVAILABLE_REASON;
  if (hasProgressDeadline(d) && !complete) {
    const name = d.metadata?.name ?? "";
    if (deploymentComplete(d, s)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata?.name}" has successfully progressed.` : `Deployment "${name}" has successfully progressed.`;
      setCondition(s, newCondition(PROGRESSING, "True", NEW_RS_AVAILABLE_REASON, msg, now));
    } else if (deploymentProgressing(d, s)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata?.name}" is progressing.` : `Deployment "${name}" is progressing.`;
      const c = newCondition(PROGRESSING, "True", RS_UPDATED_REASON, msg, now);
      // Progress moves lastUpdateTime even with the same reason, so remove and re-add; a condition
      // that was already True keeps its lastTransitionTime.
      if (cur) {
        if (cur.status === "True") c.lastTransitionTime = cur.lastTransitionTime;
        removeCondition(s, PROGRESSING);
      }
      setCondition(s, c);
    } else if (deploymentTimedOut(d, s, now)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata?.name}" has timed out progressing.` : `Deployment "${name}" has timed out progressing.`;
      setCondition(s, newCondition(PROGRESSING, "False", TIMED_OUT_REASON, msg, now));
    }
  }
  return s;
}

/**
 * When to look again at a rollout that has not finished, so the deadline is noticed without events
 * (Kubernetes' requeueStuckDeployment): ms from now, or undefined when there is nothing to wait for.
 * Deadline 600 s, last progress 590 s ago → 10 000 ms (+1 s so the check lands after the deadline).
 */
export function requeueStuckAfter(d: RoDeployment, s: DeploymentStatus, now: Date): number | undefined {
  const c = getCondition(s, PROGRESSING);
  if (!hasProgressDeadline(d) || !c) return undefined;
  if (c.reason === NEW_RS_AVAILABLE_REASON || c.reason === TIMED_OUT_REASON) return undefined;
  if (deploymentComplete(d, s)) return undefined;
  const from = Date.parse(c.lastUpdateTime);
  if (Number.isNaN(from)) return undefined;
  const after = from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 - now.getTime();
  return Math.max(0, after) + 1000;
}

/**
 * Progressing while paused: Unknown/DeploymentPaused on pause, Unknown/DeploymentResumed on resume
 * (Kubernetes' checkPausedConditions). Changes `s`; returns whether it did. A timed-out rollout keeps
 * its ProgressDeadlineExceeded.
 */
export function pausedConditions(d: RoDeployment, s: DeploymentStatus, now: Date): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cur = getCondition(s, PROGRESSING);
  if (cur?.reason === TIMED_OUT_REASON) return false;
  const pausedCond = cur?.reason === PAUSED_DEPLOY_REASON;
  if (d.spec?.paused && !pausedCond) {
    setCondition(s, newCondition(PROGRESSING, "Unknown", PAUSED_DEPLOY_REASON, "Deployment is paused", now));
    return true;
  }
  if (!d.spec?.paused && pausedCond) {
    setCondition(s, newCondition(PROGRESSING, "Unknown", RESUMED_DEPLOY_REASON, "Deployment is resumed", now));
    return true;
  }
  return false;
}
