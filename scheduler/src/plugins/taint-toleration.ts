// TaintToleration: a node's NoSchedule and NoExecute taints keep off every pod that does not tolerate
// them. The reason names the first untolerated taint, as Kubernetes: `{dedicated: gpu}`.
import type { DeepReadonly } from "@mk/proto/informer";
import { type Pod, type Taint, tolerates } from "@mk/proto";
import type { CycleState, FilterPlugin } from "../framework/interfaces.js";
import type { NodeView } from "../framework/node-info.js";
import { SUCCESS, type Status, unresolvable } from "../framework/status.js";

export const NAME = "TaintToleration";

export function errReason(t: DeepReadonly<Taint>): string {
  return `node(s) had untolerated taint {${t.key}: ${t.value}}`;
}

export { tolerates };

export const taintToleration = {
  name: NAME,
  filter(_state: CycleState, pod: DeepReadonly<Pod>, node: NodeView): Status {
    // hardTaints holds only NoSchedule and NoExecute: PreferNoSchedule discourages, never filters.
    if (node.hardTaints.length === 0) return SUCCESS;
    const tolerations = pod.spec?.tolerations ?? [];
    for (const taint of node.hardTaints) {
      if (!tolerations.some((t) => tolerates(t, taint))) return unresolvable(errReason(taint));
    }
    return SUCCESS;
  },
} satisfies FilterPlugin;
