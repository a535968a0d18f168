// The Job's columns, as kubectl prints them: NAME STATUS COMPLETIONS DURATION AGE.
import type { Job } from "../../gen/mk/v1/batch.js";
import { jobStatusText } from "../batch/index.js";
import { humanDuration, since } from "./age.js";
import type { TableColumn } from "./columns.js";

/** "3/5"; a work-queue Job (completions not given) as kubectl: "3/1 of 2" with parallelism 2. */
function completions(j: Job): string {
  const done = j.status?.succeeded ?? 0;
  if (j.spec?.completions !== undefined) return `${done}/${j.spec.completions}`;
  const p = j.spec?.parallelism ?? 1;
  return p > 1 ? `${done}/1 of ${p}` : `${done}/1`;
}

/** Start to completion, or start to now while it runs; empty before it starts. */
function duration(j: Job, now: number): string {
  const start = Date.parse(j.status?.startTime ?? "");
  if (Number.isNaN(start)) return "";
  const end = Date.parse(j.status?.completionTime ?? "");
  return humanDuration((Number.isNaN(end) ? now : end) - start);
}

export const JOB_COLUMNS: TableColumn<Job>[] = [
  { name: "NAME", type: "string", format: "name", priority: 0, description: "Name must be unique within a namespace.", cell: (j) => j.metadata?.name ?? "" },
  { name: "STATUS", type: "string", priority: 0, description: "Status of the job.", cell: (j) => jobStatusText(j) },
  { name: "COMPLETIONS", type: "string", priority: 0, description: "The completion status of the job.", cell: completions },
  { name: "DURATION", type: "string", priority: 0, description: "Time required to complete the job.", cell: (j, c) => duration(j, c.now) },
  { name: "AGE", type: "string", priority: 0, description: "The time since the object was created (metadata.creationTimestamp).", cell: (j, c) => since(j.metadata?.creationTimestamp, c.now) },
];
