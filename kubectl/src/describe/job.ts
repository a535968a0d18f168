// kubectl describe job: the spec's counts, the pods' statuses, the template, conditions and events.
import type { Job } from "@mk/proto";
import { formatSelector } from "@mk/proto/api";
import { describePodTemplate } from "./containers.js";
import type { DescribeContext } from "./kinds.js";
import { describeConditions, describeEvents, describeTime, labelsMultiline, PrefixWriter } from "./writer.js";

export async function describeJob(job: Job, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  const m = job.metadata;
  const s = job.spec;
  const st = job.status;
  w.line(0, "Name:", m?.name ?? "");
  w.line(0, "Namespace:", m?.namespace ?? "");
  w.line(0, "Selector:", formatSelector(s?.selector));
  labelsMultiline(w, 0, "Labels", m?.labels);
  labelsMultiline(w, 0, "Annotations", m?.annotations, ": ");
  w.line(0, "Parallelism:", s?.parallelism ?? 1);
  w.line(0, "Completions:", s?.completions ?? "<unset>");
  w.line(0, "Completion Mode:", s?.completionMode || "NonIndexed");
  w.line(0, "Suspend:", s?.suspend ? "true" : "false");
  w.line(0, "Backoff Limit:", s?.backoffLimit ?? 6);
  if (s?.ttlSecondsAfterFinished !== undefined) w.line(0, "TTL Seconds After Finished:", s.ttlSecondsAfterFinished);
  if (st?.startTime) w.line(0, "Start Time:", describeTime(st.startTime));
  if (st?.completionTime) w.line(0, "Completed At:", describeTime(st.completionTime));
  if (st?.startTime && st.completionTime) w.line(0, "Duration:", `${Math.round((Date.parse(st.completionTime) - Date.parse(st.startTime)) / 1000)}s`);
  if (s?.activeDeadlineSeconds !== undefined) w.line(0, "Active Deadline Seconds:", `${s.activeDeadlineSeconds}s`);
  w.line(0, "Pods Statuses:", `${st?.active ?? 0} Active (${st?.ready ?? 0} Ready) / ${st?.succeeded ?? 0} Succeeded / ${st?.failed ?? 0} Failed`);
  if (s?.completionMode === "Indexed") w.line(0, "Completed Indexes:", st?.completedIndexes || "<none>");
  describePodTemplate(w, s?.template);
  describeConditions(w, st?.conditions ?? []);
  describeEvents(w, c.events, c.now);
  return w.toString();
}
