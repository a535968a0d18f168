// What ReplicaSet and Deployment share: a selector that must match the template's labels, a pod
// template whose restartPolicy is Always, replicas >= 0, and a selector that never changes.
import { type LabelSelector, matchesSelector, type PodTemplateSpec, SelectorParseError, selectorFromMessage } from "@mk/proto";
import { defaultPodSpec, validatePodSpec } from "./podspec.js";
import { deepEqual, type Errors, immutable, invalid, nonNegative, required, unsupported, validateLabels } from "./validation.js";

export function defaultTemplate(t: PodTemplateSpec | undefined): void {
  if (t?.spec) defaultPodSpec(t.spec);
}

export function validateWorkload(
  spec: { replicas?: number | undefined; selector?: LabelSelector | undefined; template?: PodTemplateSpec | undefined; minReadySeconds: number },
  kindLower: string,
  errs: Errors,
): void {
  nonNegative("spec.replicas", spec.replicas, errs);
  nonNegative("spec.minReadySeconds", spec.minReadySeconds, errs);
  const t = validateSelectorAndTemplate(spec.selector, spec.template, kindLower, errs);
  if (!t) return;
  validatePodSpec("spec.template.spec", t.spec, errs);
  if (t.spec && t.spec.restartPolicy !== "Always") errs.push(unsupported("spec.template.spec.restartPolicy", t.spec.restartPolicy, ["Always"]));
  if (t.spec?.nodeName) errs.push(invalid("spec.template.spec.nodeName", t.spec.nodeName, "must be empty in a template: the scheduler chooses"));
}

export function validateSelectorUnchanged(sel: LabelSelector | undefined, old: LabelSelector | undefined, errs: Errors): void {
  if (deepEqual(sel, old)) return;
  const shown = sel ? { matchLabels: sel.matchLabels, ...(sel.matchExpressions.length > 0 ? { matchExpressions: sel.matchExpressions } : {}) } : null;
  errs.push(immutable("spec.selector", shown));
}

/**
 * A workload's selector (required, not empty) and its template's labels (valid, matched by the
 * selector); returns the template when there is one, for the pod spec's checks.
 */
export function validateSelectorAndTemplate(sel: LabelSelector | undefined, t: PodTemplateSpec | undefined, kindLower: string, errs: Errors): PodTemplateSpec | undefined {
  let selectorOk = false;
  if (!sel) errs.push(required("spec.selector"));
  else {
    try {
      const parsed = selectorFromMessage(sel);
      if (parsed.empty()) errs.push(invalid("spec.selector", sel.matchLabels, `empty selector is invalid for ${kindLower}`));
      else selectorOk = true;
    } catch (err) {
      if (!(err instanceof SelectorParseError)) throw err;
      errs.push(invalid("spec.selector", sel.matchLabels, err.message));
    }
  }
  if (!t) {
    errs.push(required("spec.template"));
    return undefined;
  }
  const labels = t.metadata?.labels ?? {};
  validateLabels("spec.template.metadata.labels", labels, errs);
  if (selectorOk && !matchesSelector(sel, labels)) {
    errs.push(invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`"));
  }
  return t;
}

/**
 * Status counts are never negative (Kubernetes' ValidateReplicaSetStatus and ValidateDeploymentStatus);
 * the controllers write them through UpdateStatus, which validates the object as every write does.
 */
export function validateWorkloadStatus(status: object | undefined, errs: Errors): void {
  for (const [key, value] of Object.entries(status ?? {})) {
    if (typeof value === "number") nonNegative(`status.${key}`, value, errs);
  }
}
