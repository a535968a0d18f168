// Node: registered by its kubelet; spec (taints, unschedulable) by people and the node controller.
import type { Node } from "@mk/proto";
import { TAINT_EFFECTS } from "./podspec.js";
import type { Strategy } from "./strategy.js";
import { type Errors, required, unsupported, validateQuantity } from "./validation.js";

const ADDRESS_TYPES = ["InternalIP", "ExternalIP", "Hostname", "InternalDNS", "ExternalDNS"];

export const nodeStrategy: Strategy<"Node"> = {
  kind: "Node",
  nameRule: "subdomain",
  hasStatus: true,
  defaults(node: Node) {
    node.spec ??= { unschedulable: false, taints: [], podCidr: "", podCidrs: [], providerId: "" };
  },
  prepareForCreate() {
    // A kubelet registers its node with its status: kept, as Kubernetes does.
  },
  validate(node: Node) {
    const errs: Errors = [];
    node.spec?.taints.forEach((t, i) => {
      const f = `spec.taints[${i}]`;
      if (!t.key) errs.push(required(`${f}.key`));
      if (!(TAINT_EFFECTS as readonly string[]).includes(t.effect)) errs.push(unsupported(`${f}.effect`, t.effect, TAINT_EFFECTS));
    });
    for (const group of ["capacity", "allocatable"] as const) {
      for (const [name, q] of Object.entries(node.status?.[group] ?? {})) {
        validateQuantity(`status.${group}[${name}]`, q, errs);
      }
    }
    node.status?.addresses.forEach((a, i) => {
      if (!ADDRESS_TYPES.includes(a.type)) errs.push(unsupported(`status.addresses[${i}].type`, a.type, ADDRESS_TYPES));
      if (!a.address) errs.push(required(`status.addresses[${i}].address`));
    });
    return errs;
  },
  validateUpdate() {
    return [];
  },
};
