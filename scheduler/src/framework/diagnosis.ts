// Why a pod fits nowhere, in Kubernetes' words: every rejected node's reasons are counted, each count
// printed before its reason, and the strings sorted (as strings, as kube-scheduler's FitError does):
// `0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient memory.`
import type { Status } from "./status.js";

export const NO_NODES_AVAILABLE = "no nodes available to schedule pods";

/** Reason → number of nodes that gave it. A node short of cpu and memory counts once for each. */
export function reasonHistogram(rejections: Iterable<Status>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of rejections) {
    for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  return counts;
}

export function unschedulableMessage(numAllNodes: number, rejections: Iterable<Status>): string {
  if (numAllNodes === 0) return NO_NODES_AVAILABLE;
  const parts = [...reasonHistogram(rejections)].map(([reason, n]) => `${n} ${reason}`);
  // Plain code-unit order, like Go's sort.Strings: deterministic, and the same text Kubernetes prints.
  parts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `0/${numAllNodes} nodes are available: ${parts.join(", ")}.`;
}
