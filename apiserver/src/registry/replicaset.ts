// ReplicaSet: keeps `replicas` pods matching its selector alive.
import type { ReplicaSet } from "@mk/proto";
import type { Strategy } from "./strategy.js";
import type { Errors } from "./validation.js";
import { defaultTemplate, validateSelectorUnchanged, validateWorkload, validateWorkloadStatus } from "./workload.js";

export const replicaSetStrategy: Strategy<"ReplicaSet"> = {
  kind: "ReplicaSet",
  nameRule: "subdomain",
  hasStatus: true,
  defaults(rs: ReplicaSet) {
    if (!rs.spec) return;
    rs.spec.replicas ??= 1;
    defaultTemplate(rs.spec.template);
  },
  prepareForCreate(rs: ReplicaSet) {
    rs.status = {
      replicas: 0,
      fullyLabeledReplicas: 0,
      readyReplicas: 0,
      availableReplicas: 0,
      observedGeneration: 0,
      conditions: [],
      terminatingReplicas: 0,
    };
  },
  validate(rs: ReplicaSet) {
    const errs: Errors = [];
    if (!rs.spec) return [{ field: "spec", type: "Required", detail: "" }];
    validateWorkload(rs.spec, "replicaset", errs);
    validateWorkloadStatus(rs.status, errs);
    return errs;
  },
  validateUpdate(rs: ReplicaSet, old: ReplicaSet) {
    const errs: Errors = [];
    validateSelectorUnchanged(rs.spec?.selector, old.spec?.selector, errs);
    return errs;
  },
};
