// Pod facts the ReplicaSet controller needs: which pods count, which are ready and available, and the
// order in which a scale-down deletes them (Kubernetes' controller.ActivePods ordering).
import type { ReplicaSetStatus } from "@mk/proto";
import type { RS, RoPod } from "../types.js";

/** Pods that count toward replicas: not finished and not being deleted (so replacements start at once). */
export function isActive(p: RoPod): boolean {
  const phase = p.status?.phase ?? "";
  return phase !== "Succeeded" && phase !== "Failed" && !p.metadata?.deletionTimestamp;
}

export function isTerminating(p: RoPod): boolean {
  return Boolean(p.metadata?.deletionTimestamp);
}

function readyCondition(p: RoPod) {
  return p.status?.conditions.find((c) => c.type === "Ready");
}

export function isReady(p: RoPod): boolean {
  return readyCondition(p)?.status === "True";
}

/** Ready for at least minReadySeconds: 10 s after becoming ready with minReadySeconds 10. */
export function isAvailable(p: RoPod, minReadySeconds: number, now: Date): boolean {
  if (!isReady(p)) return false;
  if (minReadySeconds <= 0) return true;
  const t = Date.parse(readyCondition(p)?.lastTransitionTime ?? "");
  if (Number.isNaN(t)) return false;
  return t + minReadySeconds * 1000 <= now.getTime();
}

/** When a ready pod that is not yet available becomes so, in ms from now (for a delayed resync). */
export function msUntilAvailable(p: RoPod, minReadySeconds: number, now: Date): number | undefined {
  if (!isReady(p) || minReadySeconds <= 0) return undefined;
  const t = Date.parse(readyCondition(p)?.lastTransitionTime ?? "");
  if (Number.isNaN(t)) return undefined;
  const left = t + minReadySeconds * 1000 - now.getTime();
  return left > 0 ? left : undefined;
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const phaseOrdinal = (p: RoPod) => PHASE_ORDINAL[p.status?.phase || "Pending"] ?? 0;

function readyTime(p: RoPod): string {
  return isReady(p) ? (readyCondition(p)?.lastTransitionTime ?? "") : "";
}

function maxRestarts(p: RoPod): number {
  return (p.status?.containerStatuses ?? []).reduce((m, c) => Math.max(m, c.restartCount), 0);
}

/** a later than b, an empty time counting as latest of all (RFC 3339 UTC strings compare as text). */
function afterOrZero(a: string, b: string): boolean {
  if (a === "" || b === "") return a === "";
  return a > b;
}

/**
 * Deletion order for a scale-down, first to go first: unscheduled before scheduled, Pending before
 * Unknown before Running, not ready before ready, ready for less time before more, more restarts
 * before fewer, newer before older; equal pods by name so the order is deterministic.
 */
export function deletionOrder(a: RoPod, b: RoPod): number {
  const na = a.spec?.nodeName ?? "";
  const nb = b.spec?.nodeName ?? "";
  if (na !== nb && (na === "" || nb === "")) return na === "" ? -1 : 1;
  const pa = phaseOrdinal(a);
  const pb = phaseOrdinal(b);
  if (pa !== pb) return pa - pb;
  const ra = isReady(a);
  const rb = isReady(b);
  if (ra !== rb) return ra ? 1 : -1;
  if (ra && rb) {
    const ta = readyTime(a);
    const tb = readyTime(b);
    if (ta !== tb) return afterOrZero(ta, tb) ? -1 : 1;
  }
  const ca = maxRestarts(a);
  const cb = maxRestarts(b);
  if (ca !== cb) return cb - ca;
  const ka = a.metadata?.creationTimestamp ?? "";
  const kb = b.metadata?.creationTimestamp ?? "";
  if (ka !== kb) return afterOrZero(ka, kb) ? -1 : 1;
  return (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

/** The `n` pods a scale-down deletes. */
export function podsToDelete(pods: readonly RoPod[], n: number): RoPod[] {
  return [...pods].sort(deletionOrder).slice(0, Math.max(0, n));
}

/** The ReplicaSet's status from its active pods (Kubernetes' calculateStatus). */
export function calculateStatus(rs: RS, active: readonly RoPod[], terminating: number, now: Date): ReplicaSetStatus {
  const template = rs.spec?.template?.metadata?.labels ?? {};
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const p of active) {
    const labels = p.metadata?.labels ?? {};
    if (Object.entries(template).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (isReady(p)) {
      ready++;
      if (isAvailable(p, minReady, now)) available++;
    }
  }
  return {
    replicas: active.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata?.generation ?? 0,
    conditions: (rs.status?.conditions ?? []).map((c) => ({ ...c })),
    terminatingReplicas: terminating,
  };
}
