// The batch group (batch/v1): Job names and facts shared by the API server, the Job controller and mkctl.
import type { Job, JobCondition } from "../../gen/mk/v1/batch.js";
import type { DeepReadonly } from "../readonly.js";

/** The label and annotation of an Indexed Job's pod: its completion index. */
export const JOB_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
/** The env var an Indexed Job's containers read their index from. */
export const JOB_COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX";
/** The labels the API server puts on a Job's selector and template (with the legacy unprefixed ones). */
export const JOB_CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid";
export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
export const LEGACY_CONTROLLER_UID_LABEL = "controller-uid";
export const LEGACY_JOB_NAME_LABEL = "job-name";
/** The finalizer that keeps a finished pod until the Job controller has counted it. */
export const JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking";

type RoJob = DeepReadonly<Job>;

export function jobCondition(job: RoJob, type: string): DeepReadonly<JobCondition> | undefined {
  return job.status?.conditions.find((c) => c.type === type && c.status === "True");
}

/** Complete or Failed: the Job is done and its pods are no longer replaced. */
export function isJobFinished(job: RoJob): boolean {
  return jobCondition(job, "Complete") !== undefined || jobCondition(job, "Failed") !== undefined;
}

/** kubectl's STATUS column of a Job. */
export function jobStatusText(job: RoJob): string {
  if (jobCondition(job, "Complete")) return "Complete";
  if (jobCondition(job, "Failed")) return "Failed";
  if (job.metadata?.deletionTimestamp) return "Terminating";
  if (jobCondition(job, "FailureTarget")) return "FailureTarget";
  if (jobCondition(job, "Suspended")) return "Suspended";
  return "Running";
}

/** The indexes of "0-2,4" as numbers, in order; malformed parts are skipped. */
export function parseIndexes(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(",")) {
    const [a, b] = part.split("-");
    const lo = Number.parseInt(a ?? "", 10);
    const hi = b === undefined ? lo : Number.parseInt(b, 10);
    if (Number.isNaN(lo) || Number.isNaN(hi)) continue;
    for (let i = lo; i <= hi; i++) out.push(i);
  }
  return out;
}

/** Indexes as Kubernetes writes completedIndexes: sorted, runs collapsed ([0,1,2,4] → "0-2,4"). */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

export * from "./cron.js";

/** The annotation Kubernetes puts on a CronJob's Job: the time it was scheduled for (RFC 3339). */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp";
export const CONCURRENCY_POLICIES = ["Allow", "Forbid", "Replace"] as const;
export const DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT = 3;
export const DEFAULT_FAILED_JOBS_HISTORY_LIMIT = 1;

/**
 * The name of the Job a CronJob starts for a scheduled time, as Kubernetes' getJobName: the CronJob's
 * name and the time in minutes since the epoch, so that one scheduled time can only ever make one Job.
 */
export function cronJobJobName(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}
