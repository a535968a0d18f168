// Deployment: a desired pod template and replica count, rolled out through ReplicaSets.
import type { Deployment } from "@mk/proto";
import type { Strategy } from "./strategy.js";
import { type Errors, forbidden, invalid, isZeroIntOrPercent, nonNegative, unsupported, validateIntOrPercent } from "./validation.js";
import { defaultTemplate, validateSelectorUnchanged, validateWorkload, validateWorkloadStatus } from "./workload.js";

const STRATEGY_TYPES = ["RollingUpdate", "Recreate"];

export const deploymentStrategy: Strategy<"Deployment"> = {
  kind: "Deployment",
  nameRule: "subdomain",
  hasStatus: true,
  defaults(d: Deployment) {
    const spec = d.spec;
    if (!spec) return;
    spec.replicas ??= 1;
    spec.strategy ??= { type: "" };
    spec.strategy.type ||= "RollingUpdate";
    if (spec.strategy.type === "RollingUpdate") {
      spec.strategy.rollingUpdate ??= { maxUnavailable: "", maxSurge: "" };
      spec.strategy.rollingUpdate.maxUnavailable ||= "25%";
      spec.strategy.rollingUpdate.maxSurge ||= "25%";
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    defaultTemplate(spec.template);
  },
  prepareForCreate(d: Deployment) {
    d.status = {
      observedGeneration: 0,
      replicas: 0,
      updatedReplicas: 0,
      readyReplicas: 0,
      availableReplicas: 0,
      unavailableReplicas: 0,
      conditions: [],
      terminatingReplicas: 0,
    };
  },
  validate(d: Deployment) {
    const errs: Errors = [];
    const spec = d.spec;
    if (!spec) return [{ field: "spec", type: "Required", detail: "" }];
    validateWorkload(spec, "deployment", errs);
    validateWorkloadStatus(d.status, errs);
    const st = spec.strategy;
    if (st) {
      if (!STRATEGY_TYPES.includes(st.type)) errs.push(unsupported("spec.strategy.type", st.type, STRATEGY_TYPES));
      const ru = st.rollingUpdate;
      if (st.type === "Recreate" && ru) {
        errs.push(forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
      }
      if (st.type === "RollingUpdate" && ru) {
        validateIntOrPercent("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable, errs);
        validateIntOrPercent("spec.strategy.rollingUpdate.maxSurge", ru.maxSurge, errs);
        if (isZeroIntOrPercent(ru.maxUnavailable) && isZeroIntOrPercent(ru.maxSurge)) {
          errs.push(invalid("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable, "may not be 0 when `maxSurge` is 0"));
        }
      }
    }
    nonNegative("spec.revisionHistoryLimit", spec.revisionHistoryLimit, errs);
    const pds = spec.progressDeadlineSeconds;
    if (pds !== undefined && pds <= spec.minReadySeconds) {
      errs.push(invalid("spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds"));
    }
    return errs;
  },
  validateUpdate(d: Deployment, old: Deployment) {
    const errs: Errors = [];
    validateSelectorUnchanged(d.spec?.selector, old.spec?.selector, errs);
    return errs;
  },
};
