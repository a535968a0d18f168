// Kubernetes' Toleration.ToleratesTaint, shared by the scheduler (NoSchedule/NoExecute filter) and
// the node lifecycle controller (NoExecute eviction).
import type { Taint, Toleration } from "../gen/mk/v1/core.js";

/** An empty effect matches every effect; an empty key with operator Exists matches every taint. */
export function tolerates(t: Readonly<Toleration>, taint: Readonly<Taint>): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator || "Equal") {
    case "Exists":
      return true;
    case "Equal":
      return t.value === taint.value;
    default:
      return false;
  }
}
