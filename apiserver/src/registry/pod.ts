// Pod: the unit the scheduler places and a kubelet runs. Its spec is immutable but for images
// and added tolerations; spec.nodeName changes only through Bind.
import { type Pod, type PodSpec, PodSpec as PodSpecCodec, quantityValue } from "@mk/proto";
import { defaultPodSpec, validatePodSpec } from "./podspec.js";
import type { Strategy, UpdateOperation } from "./strategy.js";
import { deepEqual, type Errors, forbidden } from "./validation.js";

const SPEC_UPDATE_RULE =
  "pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds` or `spec.tolerations` (only additions to existing tolerations)";

/** Kubernetes' QoS class: Guaranteed when every container's requests equal its cpu and memory limits. */
export function qosClass(spec: PodSpec): string {
  const containers = [...spec.containers, ...spec.initContainers];
  let hasResources = false;
  let guaranteed = true;
  for (const c of containers) {
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? {};
    if (Object.keys(limits).length > 0 || Object.keys(requests).length > 0) hasResources = true;
    for (const r of ["cpu", "memory"]) {
      const lim = limits[r];
      const req = requests[r] ?? lim;
      if (lim === undefined || req === undefined) guaranteed = false;
      else {
        try {
          if (quantityValue(r, lim) !== quantityValue(r, req)) guaranteed = false;
        } catch {
          guaranteed = false; // validation reports the quantity
        }
      }
    }
  }
  if (!hasResources) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

export const podStrategy: Strategy<"Pod"> = {
  kind: "Pod",
  nameRule: "subdomain",
  hasStatus: true,
  defaults(pod: Pod) {
    if (pod.spec) {
      defaultPodSpec(pod.spec);
      // Kubernetes' Priority admission sets it on pods only; templates return without it.
      pod.spec.priority ??= 0;
      // SetDefaults_Pod, not SetDefaults_PodSpec: a Deployment's template returns without it.
      pod.spec.enableServiceLinks ??= true;
    }
  },
  prepareForCreate(pod: Pod) {
    pod.status = {
      phase: "Pending",
      conditions: [],
      message: "",
      reason: "",
      hostIp: "",
      podIp: "",
      podIps: [],
      startTime: "",
      containerStatuses: [],
      initContainerStatuses: [],
      qosClass: pod.spec ? qosClass(pod.spec) : "BestEffort",
      nominatedNodeName: "",
    };
  },
  validate(pod: Pod) {
    const errs: Errors = [];
    validatePodSpec("spec", pod.spec, errs);
    return errs;
  },
  validateUpdate(pod: Pod, old: Pod, operation: UpdateOperation) {
    const errs: Errors = [];
    if (!pod.spec || !old.spec) return errs;
    // Take the new spec, put back what may change, and it must then equal the old one.
    const probe = PodSpecCodec.decode(PodSpecCodec.encode(pod.spec).finish());
    const sameShape = probe.containers.length === old.spec.containers.length && probe.initContainers.length === old.spec.initContainers.length;
    if (sameShape) {
      probe.containers.forEach((c, i) => {
        c.image = old.spec?.containers[i]?.image ?? c.image;
      });
      probe.initContainers.forEach((c, i) => {
        c.image = old.spec?.initContainers[i]?.image ?? c.image;
      });
      probe.activeDeadlineSeconds = old.spec.activeDeadlineSeconds;
      const oldTol = old.spec.tolerations;
      if (oldTol.every((t, i) => deepEqual(t, probe.tolerations[i]))) probe.tolerations = oldTol;
    }
    if (probe.nodeName !== old.spec.nodeName && old.spec.nodeName === "") {
      if (operation !== "bind") errs.push(forbidden("spec.nodeName", "may only be set through the binding subresource"));
      probe.nodeName = old.spec.nodeName;
    }
    if (!sameShape || !deepEqual(probe, old.spec)) errs.push(forbidden("spec", SPEC_UPDATE_RULE));
    return errs;
  },
};
