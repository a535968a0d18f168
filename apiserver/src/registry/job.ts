// Job (batch/v1): pods run to completion. The server generates the selector from the Job's uid (as
// Kubernetes does unless manualSelector), defaults the counts and checks the pod template, whose
// restartPolicy must be Never or OnFailure.
import {
  emptyMeta,
  type Job,
  JOB_CONTROLLER_UID_LABEL,
  JOB_NAME_LABEL,
  type JobSpec,
  LEGACY_CONTROLLER_UID_LABEL,
  LEGACY_JOB_NAME_LABEL,
  type PodFailurePolicy,
} from "@mk/proto";
import type { Strategy } from "./strategy.js";
import { deepEqual, type Errors, immutable, invalid, nonNegative, positive, required, unsupported } from "./validation.js";
import { defaultTemplate, validateSelectorAndTemplate } from "./workload.js";
import { validatePodSpec } from "./podspec.js";

const COMPLETION_MODES = ["NonIndexed", "Indexed"] as const;
const JOB_RESTART_POLICIES = ["Never", "OnFailure"] as const;
const FAILURE_ACTIONS = ["FailJob", "Ignore", "Count"] as const;
const EXIT_CODE_OPERATORS = ["In", "NotIn"] as const;
/** Kubernetes' limit for an Indexed Job's completions. */
const MAX_INDEXED_COMPLETIONS = 100_000;

export const jobStrategy: Strategy<"Job"> = {
  kind: "Job",
  nameRule: "subdomain",
  hasStatus: true,
  defaults(job: Job) {
    const s = job.spec;
    if (!s) return;
    // Both unset: one pod to one success. Only parallelism set: a work queue (completions stays unset).
    if (s.completions === undefined && s.parallelism === undefined) s.completions = 1;
    s.parallelism ??= 1;
    s.backoffLimit ??= 6;
    s.completionMode ||= "NonIndexed";
    s.suspend ??= false;
    s.manualSelector ??= false;
    defaultTemplate(s.template);
  },
  prepareForCreate(job: Job) {
    const s = job.spec;
    const m = job.metadata;
    if (s && m && !s.manualSelector) {
      // The selector names this Job's uid, so pods of an earlier Job of the same name never match.
      const ids = { [JOB_CONTROLLER_UID_LABEL]: m.uid, [LEGACY_CONTROLLER_UID_LABEL]: m.uid };
      s.selector = { matchLabels: { [JOB_CONTROLLER_UID_LABEL]: m.uid }, matchExpressions: [] };
      if (s.template) {
        s.template.metadata ??= emptyMeta();
        s.template.metadata.labels = { ...s.template.metadata.labels, ...ids, [JOB_NAME_LABEL]: m.name, [LEGACY_JOB_NAME_LABEL]: m.name };
      }
    }
    job.status = { conditions: [], startTime: "", completionTime: "", active: 0, succeeded: 0, failed: 0, completedIndexes: "", uncountedTerminatedPods: { succeeded: [], failed: [] } };
  },
  validate(job: Job) {
    if (!job.spec) return [required("spec")];
    const errs: Errors = [];
    validateJobSpec(job.spec, errs);
    return errs;
  },
  validateUpdate(job: Job, old: Job) {
    const errs: Errors = [];
    if (!deepEqual(job.spec?.selector, old.spec?.selector)) errs.push(immutable("spec.selector", job.spec?.selector ?? null));
    if (!deepEqual(job.spec?.template, old.spec?.template)) errs.push(immutable("spec.template", "field is immutable"));
    if (job.spec?.completions !== old.spec?.completions) errs.push(immutable("spec.completions", job.spec?.completions ?? null));
    if (job.spec?.completionMode !== old.spec?.completionMode) errs.push(immutable("spec.completionMode", job.spec?.completionMode ?? ""));
    if (!deepEqual(job.spec?.podFailurePolicy, old.spec?.podFailurePolicy)) errs.push(immutable("spec.podFailurePolicy", "field is immutable"));
    return errs;
  },
};

export function validateJobSpec(s: JobSpec, errs: Errors): void {
  nonNegative("spec.parallelism", s.parallelism, errs);
  nonNegative("spec.completions", s.completions, errs);
  nonNegative("spec.backoffLimit", s.backoffLimit, errs);
  positive("spec.activeDeadlineSeconds", s.activeDeadlineSeconds, errs);
  nonNegative("spec.ttlSecondsAfterFinished", s.ttlSecondsAfterFinished, errs);
  if (!(COMPLETION_MODES as readonly string[]).includes(s.completionMode)) errs.push(unsupported("spec.completionMode", s.completionMode, COMPLETION_MODES));
  if (s.completionMode === "Indexed") {
    if (s.completions === undefined) errs.push(required("spec.completions", "when completion mode is Indexed"));
    else if (s.completions > MAX_INDEXED_COMPLETIONS) errs.push(invalid("spec.completions", s.completions, `must be less than or equal to ${MAX_INDEXED_COMPLETIONS} when completion mode is Indexed`));
  }
  const t = validateSelectorAndTemplate(s.selector, s.template, "job", errs);
  if (!t) return;
  validatePodSpec("spec.template.spec", t.spec, errs);
  if (t.spec && !(JOB_RESTART_POLICIES as readonly string[]).includes(t.spec.restartPolicy)) {
    errs.push(unsupported("spec.template.spec.restartPolicy", t.spec.restartPolicy, JOB_RESTART_POLICIES));
  }
  if (s.podFailurePolicy) validatePodFailurePolicy(s.podFailurePolicy, t.spec?.restartPolicy ?? "", errs);
}

function validatePodFailurePolicy(p: PodFailurePolicy, restartPolicy: string, errs: Errors): void {
  if (restartPolicy !== "Never") errs.push(invalid("spec.template.spec.restartPolicy", restartPolicy, "only \"Never\" is supported when podFailurePolicy is specified"));
  p.rules.forEach((r, i) => {
    const f = `spec.podFailurePolicy.rules[${i}]`;
    if (!(FAILURE_ACTIONS as readonly string[]).includes(r.action)) errs.push(unsupported(`${f}.action`, r.action, FAILURE_ACTIONS));
    const codes = r.onExitCodes;
    if (codes && r.onPodConditions.length > 0) errs.push(invalid(f, "", "specifying both OnExitCodes and OnPodConditions is not supported"));
    if (!codes && r.onPodConditions.length === 0) errs.push(invalid(f, "", "specifying one of OnExitCodes and OnPodConditions is required"));
    if (codes) {
      if (!(EXIT_CODE_OPERATORS as readonly string[]).includes(codes.operator)) errs.push(unsupported(`${f}.onExitCodes.operator`, codes.operator, EXIT_CODE_OPERATORS));
      if (codes.values.length === 0) errs.push(required(`${f}.onExitCodes.values`));
      if (codes.operator === "In" && codes.values.includes(0)) errs.push(invalid(`${f}.onExitCodes.values`, 0, "must not be 0 for the In operator"));
    }
    r.onPodConditions.forEach((c, j) => {
      if (!c.type) errs.push(required(`${f}.onPodConditions[${j}].type`));
      if (!["True", "False", "Unknown"].includes(c.status)) errs.push(unsupported(`${f}.onPodConditions[${j}].status`, c.status, ["True", "False", "Unknown"]));
    });
  });
}
