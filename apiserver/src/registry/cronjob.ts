// CronJob (batch/v1): Jobs made on a schedule. Defaults as Kubernetes (concurrencyPolicy Allow,
// suspend false, history limits 3 and 1); the schedule is parsed here with the same parser the
// controller runs (an error names spec.schedule with the parser's reason), the time zone must be one
// the runtime knows, and the Job template is checked as a Job's spec would be, at its own path.
import {
  CONCURRENCY_POLICIES,
  type CronJob,
  DEFAULT_FAILED_JOBS_HISTORY_LIMIT,
  DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT,
  emptyMeta,
  isTimeZone,
  JOB_CONTROLLER_UID_LABEL,
  type JobSpec,
  localTimeZone,
  parseSchedule,
  ScheduleError,
} from "@mk/proto";
import { jobStrategy, validateJobSpec } from "./job.js";
import type { Strategy } from "./strategy.js";
import { type Errors, invalid, nonNegative, required, unsupported } from "./validation.js";
import { defaultTemplate } from "./workload.js";

/** Kubernetes' limit: the Job's name adds "-" and up to 10 digits of minutes, within 63 characters. */
const MAX_CRONJOB_NAME = 52;

/**
 * The Job template checked as a Job's spec, at `spec.jobTemplate.spec`. The selector is generated
 * when the Job is created, so a stand-in selecting the template is given here; so are the Job's defaults.
 */
function validateJobTemplateSpec(spec: JobSpec, errs: Errors): void {
  const copy = structuredClone(spec);
  if (!copy.selector) {
    const stand = { [JOB_CONTROLLER_UID_LABEL]: "cronjob-template" };
    copy.selector = { matchLabels: stand, matchExpressions: [] };
    if (copy.template) {
      copy.template.metadata ??= emptyMeta();
      copy.template.metadata.labels = { ...copy.template.metadata.labels, ...stand };
    }
  }
  // As the Job will be defaulted when it is made (the stored template keeps what was given).
  jobStrategy.defaults({ apiVersion: "", kind: "", metadata: undefined, spec: copy, status: undefined });
  const inner: Errors = [];
  validateJobSpec(copy, inner);
  for (const e of inner) errs.push({ ...e, field: e.field.replace(/^spec\./, "spec.jobTemplate.spec.") });
}

export const cronJobStrategy: Strategy<"CronJob"> = {
  kind: "CronJob",
  nameRule: "subdomain",
  hasStatus: true,
  defaults(cj: CronJob) {
    const s = cj.spec;
    if (!s) return;
    s.concurrencyPolicy ||= "Allow";
    s.suspend ??= false;
    s.successfulJobsHistoryLimit ??= DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT;
    s.failedJobsHistoryLimit ??= DEFAULT_FAILED_JOBS_HISTORY_LIMIT;
    defaultTemplate(s.jobTemplate?.spec?.template);
  },
  prepareForCreate(cj: CronJob) {
    cj.status = { active: [], lastScheduleTime: "", lastSuccessfulTime: "" };
  },
  validate(cj: CronJob) {
    const errs: Errors = [];
    const name = cj.metadata?.name ?? "";
    if (name.length > MAX_CRONJOB_NAME) errs.push(invalid("metadata.name", name, `must be no more than ${MAX_CRONJOB_NAME} characters`));
    const s = cj.spec;
    if (!s) return [...errs, required("spec")];
    const zone = s.timeZone;
    if (zone !== undefined) {
      if (zone === "" || zone.toLowerCase() === "local") errs.push(invalid("spec.timeZone", zone, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"));
      else if (!isTimeZone(zone)) errs.push(invalid("spec.timeZone", zone, `unknown time zone ${zone}`));
    }
    if (!s.schedule) errs.push(required("spec.schedule"));
    else {
      try {
        parseSchedule(s.schedule, zone !== undefined && isTimeZone(zone) ? zone : localTimeZone());
      } catch (err) {
        if (!(err instanceof ScheduleError)) throw err;
        errs.push(invalid("spec.schedule", s.schedule, err.message));
      }
    }
    nonNegative("spec.startingDeadlineSeconds", s.startingDeadlineSeconds === undefined ? undefined : Number(s.startingDeadlineSeconds), errs);
    if (!(CONCURRENCY_POLICIES as readonly string[]).includes(s.concurrencyPolicy)) errs.push(unsupported("spec.concurrencyPolicy", s.concurrencyPolicy, CONCURRENCY_POLICIES));
    nonNegative("spec.successfulJobsHistoryLimit", s.successfulJobsHistoryLimit, errs);
    nonNegative("spec.failedJobsHistoryLimit", s.failedJobsHistoryLimit, errs);
    if (!s.jobTemplate?.spec) errs.push(required("spec.jobTemplate.spec"));
    else validateJobTemplateSpec(s.jobTemplate.spec, errs);
    return errs;
  },
  validateUpdate() {
    // Every field of a CronJob's spec may change; the Jobs already made keep the template they had.
    return [];
  },
};
