// Pod facts the Job controller needs: finished or not, succeeded or failed, its completion index, and
// what the Job's podFailurePolicy says about a failed pod.
import { type Job, JOB_COMPLETION_INDEX, JOB_TRACKING_FINALIZER, type PodFailurePolicyRule } from "@mk/proto";
import type { DeepReadonly } from "@mk/proto/informer";
import type { RoPod } from "../types.js";

export type RoJob = DeepReadonly<Job>;

export function isSucceeded(p: RoPod): boolean {
  return p.status?.phase === "Succeeded";
}

export function isFailed(p: RoPod): boolean {
  return p.status?.phase === "Failed";
}

/** Running or about to: not finished and not being deleted. */
export function isActivePod(p: RoPod): boolean {
  return !isSucceeded(p) && !isFailed(p) && !p.metadata?.deletionTimestamp;
}

export function hasTrackingFinalizer(p: RoPod): boolean {
  return p.metadata?.finalizers.includes(JOB_TRACKING_FINALIZER) ?? false;
}

/** The pod's completion index (Indexed Jobs), from its annotation; undefined when absent or bad. */
export function completionIndexOf(p: RoPod): number | undefined {
  const v = p.metadata?.annotations[JOB_COMPLETION_INDEX];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** When the pod finished, in ms: its containers' latest finishedAt, else undefined. */
export function finishedAtMs(p: RoPod): number | undefined {
  let latest: number | undefined;
  for (const c of p.status?.containerStatuses ?? []) {
    const t = Date.parse(c.state?.terminated?.finishedAt ?? "");
    if (!Number.isNaN(t)) latest = Math.max(latest ?? t, t);
  }
  return latest;
}

export type FailureAction = "FailJob" | "Ignore" | "Count";

/**
 * The podFailurePolicy's verdict on a failed pod: the action of the first rule that matches (its
 * index, for the condition message), or Count when none does (Kubernetes' matchPodFailurePolicy).
 */
export function matchPodFailurePolicy(job: RoJob, p: RoPod): { action: FailureAction; rule?: number } {
  const rules = job.spec?.podFailurePolicy?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as DeepReadonly<PodFailurePolicyRule>;
    if (ruleMatches(r, p)) return { action: r.action as FailureAction, rule: i };
  }
  return { action: "Count" };
}

function ruleMatches(r: DeepReadonly<PodFailurePolicyRule>, p: RoPod): boolean {
  const codes = r.onExitCodes;
  if (codes) {
    return (p.status?.containerStatuses ?? []).some((c) => {
      const exit = c.state?.terminated?.exitCode;
      // A container that did not terminate, or exited 0, matches no exit-code rule.
      if (exit === undefined || exit === 0) return false;
      if (codes.containerName && codes.containerName !== c.name) return false;
      const inValues = codes.values.includes(exit);
      return codes.operator === "In" ? inValues : !inValues;
    });
  }
  return r.onPodConditions.some((pat) => (p.status?.conditions ?? []).some((c) => c.type === pat.type && c.status === pat.status));
}

/** Container restarts of the pods (restartPolicy OnFailure: each counts toward backoffLimit). */
export function restartsOf(pods: readonly RoPod[]): number {
  let n = 0;
  for (const p of pods) for (const c of p.status?.containerStatuses ?? []) n += c.restartCount;
  return n;
}
