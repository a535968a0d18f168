// Lease: node heartbeats and leader election.
import type { Lease } from "@mk/proto";
import type { Strategy } from "./strategy.js";
import { type Errors, nonNegative, positive } from "./validation.js";

export const leaseStrategy: Strategy<"Lease"> = {
  kind: "Lease",
  nameRule: "subdomain",
  hasStatus: false,
  defaults(lease: Lease) {
    lease.spec ??= { holderIdentity: "", acquireTime: "", renewTime: "" };
  },
  prepareForCreate() {},
  validate(lease: Lease) {
    const errs: Errors = [];
    positive("spec.leaseDurationSeconds", lease.spec?.leaseDurationSeconds, errs);
    nonNegative("spec.leaseTransitions", lease.spec?.leaseTransitions, errs);
    return errs;
  },
  validateUpdate() {
    return [];
  },
};
