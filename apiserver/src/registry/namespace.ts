// Namespace: a DNS-1123 label; Active on create, Terminating while the server empties it.
import type { Namespace } from "@mk/proto";
import type { Strategy } from "./strategy.js";

/** Namespaces the API server creates at start; `default` and `mk-system` may not be deleted. */
export const SYSTEM_NAMESPACES = ["default", "mk-system", "mk-node-lease"] as const;
export const UNDELETABLE_NAMESPACES: readonly string[] = ["default", "mk-system"];

export const namespaceStrategy: Strategy<"Namespace"> = {
  kind: "Namespace",
  nameRule: "label",
  hasStatus: true,
  defaults(ns: Namespace) {
    ns.spec ??= { finalizers: [] };
    ns.status ??= { phase: "" };
  },
  prepareForCreate(ns: Namespace) {
    ns.spec = { finalizers: ["kubernetes"] };
    ns.status = { phase: "Active" };
  },
  validate() {
    return [];
  },
  validateUpdate() {
    return [];
  },
};
