// The cells of the Job's columns that need arithmetic: COMPLETIONS and DURATION, as kubectl prints them.
import type { Job } from "../../gen/mk/v1/batch.js";
import { humanDuration } from "./age.js";

/** "3/5"; a work-queue Job (completions not given) as kubectl: "3/1 of 2" with parallelism 2. */
export function jobCompletions(j: Job): string {
  const done = j.status?.succeeded ?? 0;
  if (j.spec?.completions !== undefined) return `${done}/${j.spec.completions}`;
  const p = j.spec?.parallelism ?? 1;
  return p > 1 ? `${done}/1 of ${p}` : `${done}/1`;
}

/** Start to completion, or start to now while it runs; empty before it starts. */
export function jobDuration(j: Job, now: number): string {
  const start = Date.parse(j.status?.startTime ?? "");
  if (Number.isNaN(start)) return "";
  const end = Date.parse(j.status?.completionTime ?? "");
  return humanDuration((Number.isNaN(end) ? now : end) - start);
}
