// kubectl describe cronjob: the schedule and policies, the Job template, the last schedule time, the
// active Jobs and the events.
import type { CronJob } from "@mk/proto";
import { formatSelector } from "@mk/proto/api";
import { describePodTemplate } from "./containers.js";
import type { DescribeContext } from "./kinds.js";
import { describeEvents, describeTime, labelsMultiline, PrefixWriter } from "./writer.js";

export async function describeCronJob(cj: CronJob, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  const m = cj.metadata;
  const s = cj.spec;
  const js = s?.jobTemplate?.spec;
  w.line(0, "Name:", m?.name ?? "");
  w.line(0, "Namespace:", m?.namespace ?? "");
  labelsMultiline(w, 0, "Labels", m?.labels);
  labelsMultiline(w, 0, "Annotations", m?.annotations, ": ");
  w.line(0, "Schedule:", s?.schedule ?? "");
  if (s?.timeZone !== undefined) w.line(0, "Time Zone:", s.timeZone);
  w.line(0, "Concurrency Policy:", s?.concurrencyPolicy || "Allow");
  w.line(0, "Suspend:", s?.suspend ? "True" : "False");
  w.line(0, "Successful Job History Limit:", s?.successfulJobsHistoryLimit ?? "<unset>");
  w.line(0, "Failed Job History Limit:", s?.failedJobsHistoryLimit ?? "<unset>");
  w.line(0, "Starting Deadline Seconds:", s?.startingDeadlineSeconds === undefined ? "<unset>" : `${s.startingDeadlineSeconds}s`);
  w.line(0, "Selector:", js?.selector ? formatSelector(js.selector) : "<unset>");
  w.line(0, "Parallelism:", js?.parallelism ?? "<unset>");
  w.line(0, "Completions:", js?.completions ?? "<unset>");
  if (js?.activeDeadlineSeconds !== undefined) w.line(0, "Active Deadline Seconds:", `${js.activeDeadlineSeconds}s`);
  describePodTemplate(w, js?.template);
  w.line(0, "Last Schedule Time:", cj.status?.lastScheduleTime ? describeTime(cj.status.lastScheduleTime) : "<unset>");
  const active = cj.status?.active ?? [];
  w.line(0, "Active Jobs:", active.length > 0 ? active.map((r) => r.name).join(", ") : "<none>");
  describeEvents(w, c.events, c.now);
  return w.toString();
}
