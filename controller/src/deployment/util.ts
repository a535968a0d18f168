// Deployment helpers shared by sync, rolling, recreate and progress (Kubernetes' deployment/util):
// replica counts over sets of ReplicaSets, the stable sorts, and the
// maxSurge/maxUnavailable fenceposts. Everything here is pure and reads objects without changing them.
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, type ReplicaSet } from "@mk/proto";
import { scaledValue } from "./intstr.js";
import type { RS, RoDeployment } from "../types.js";

export const ROLLING_UPDATE = "RollingUpdate";
export const RECREATE = "Recreate";

/** spec.replicas; the API server defaults it to 1, so absent means 1 as in Kubernetes. */
export function specReplicas(obj: RoDeployment | RS | undefined): number {
  return obj?.spec?.replicas ?? 1;
}

export function isRollingUpdate(d: RoDeployment): boolean {
  return (d.spec?.strategy?.type || ROLLING_UPDATE) === ROLLING_UPDATE;
}

/**
 * maxSurge and maxUnavailable as numbers of pods for `desired` replicas (Kubernetes' ResolveFenceposts):
 * surge rounds up, unavailable rounds down, and when both come out 0 unavailable becomes 1 so that a
 * rollout can always make progress. 3 replicas at 25 %/25 %: surge ceil(0.75) = 1, unavailable floor(0.75) = 0.
 */
export function resolveFenceposts(maxSurge: string, maxUnavailable: string, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge || "25%", desired, true);
  let unavailable = scaledValue(maxUnavailable || "25%", desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** Pods the rollout may add above spec.replicas (0 for Recreate). */
export function maxSurge(d: RoDeployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge ?? "", ru?.maxUnavailable ?? "", specReplicas(d)).surge;
}

/** Pods that may be unavailable during the rollout, never more than spec.replicas (0 for Recreate). */
export function maxUnavailable(d: RoDeployment): number {
  const desired = specReplicas(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(ru?.maxSurge ?? "", ru?.maxUnavailable ?? "", desired);
  return Math.min(unavailable, desired);
}

const sum = (rss: readonly (RS | undefined)[], f: (rs: RS) => number): number =>
  rss.reduce((n, rs) => n + (rs ? f(rs) : 0), 0);

/** Sum of spec.replicas: the pods the ReplicaSets are asked for. */
export function replicaCount(rss: readonly (RS | undefined)[]): number {
  return sum(rss, specReplicas);
}
/** Sum of status.replicas: the pods that exist. */
export function actualReplicaCount(rss: readonly (RS | undefined)[]): number {
  return sum(rss, (rs) => rs.status?.replicas ?? 0);
}
export function readyReplicaCount(rss: readonly (RS | undefined)[]): number {
  return sum(rss, (rs) => rs.status?.readyReplicas ?? 0);
}
export function availableReplicaCount(rss: readonly (RS | undefined)[]): number {
  return sum(rss, (rs) => rs.status?.availableReplicas ?? 0);
}

/** ReplicaSets asked for at least one pod. */
export function filterActive(rss: readonly (RS | undefined)[]): RS[] {
  return rss.filter((rs): rs is RS => rs !== undefined && specReplicas(rs) > 0);
}

const created = (rs: RS): string => rs.metadata?.creationTimestamp ?? "";
const nameOf = (rs: RS): string => rs.metadata?.name ?? "";

/** Oldest first; equal timestamps (one-second resolution) are ordered by name, so sorts are stable. */
export function byCreation(a: RS, b: RS): number {
  const c = created(a).localeCompare(created(b));
  return c !== 0 ? c : nameOf(a).localeCompare(nameOf(b));
}

/** Larger first; equal sizes newer first (scaling up proportionally gives newer sets the leftovers). */
export function bySizeNewer(a: RS, b: RS): number {
  const d = specReplicas(b) - specReplicas(a);
  return d !== 0 ? d : byCreation(b, a);
}

/** Larger first; equal sizes older first (scaling down takes from older sets first). */
export function bySizeOlder(a: RS, b: RS): number {
  const d = specReplicas(b) - specReplicas(a);
  return d !== 0 ? d : byCreation(a, b);
}

/** Integer annotation, or undefined when absent or not a number. */
export function intAnnotation(rs: RS | RoDeployment, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Whether the desired/max replicas annotations differ from the deployment's current numbers. */
export function replicasAnnotationsNeedUpdate(rs: RS, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/** Sets the annotations on a ReplicaSet the caller owns (a clone); returns whether anything changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  if (!rs.metadata) return false;
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  rs.metadata.annotations = { ...rs.metadata.annotations, [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(max) };
  return true;
}

/**
 * Whether the new ReplicaSet already runs the whole deployment: asked for spec.replicas, annotated
 * with that as desired, and that many available.
 */
export function isSaturated(d: RoDeployment, rs: RS | undefined): boolean {
  if (!rs) return false;
  const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
  if (desired === undefined) return false;
  const want = specReplicas(d);
  return specReplicas(rs) === want && desired === want && (rs.status?.availableReplicas ?? 0) === want;
}

/**
 * The single active ReplicaSet, or when none is active the newest (the new one if it exists);
 * undefined when several are active, which is when scaling has to be proportional.
 */
export function findActiveOrLatest(newRS: RS | undefined, oldRSs: readonly RS[]): RS | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = filterActive([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** Whether the controller ref points at this owner. */
export function isControlledBy(obj: { metadata?: { ownerReferences: { uid: string; controller?: boolean | undefined }[] } | undefined }, uid: string): boolean {
  return (obj.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === uid);
}
