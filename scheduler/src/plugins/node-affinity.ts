// NodeAffinity: spec.nodeSelector must match the node's labels, every key with an equal value.
import type { DeepReadonly } from "@mk/proto/informer";
import type { Pod } from "@mk/proto";
import type { CycleState, FilterPlugin } from "../framework/interfaces.js";
import type { NodeView } from "../framework/node-info.js";
import { SUCCESS, type Status, unresolvable } from "../framework/status.js";

export const NAME = "NodeAffinity";
export const ERR_REASON = "node(s) didn't match Pod's node affinity/selector";

export const nodeAffinity = {
  name: NAME,
  filter(_state: CycleState, pod: DeepReadonly<Pod>, node: NodeView): Status {
    const selector = pod.spec?.nodeSelector ?? {};
    const labels = node.node?.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(selector)) {
      if (labels[k] !== v) return unresolvable(ERR_REASON);
    }
    return SUCCESS;
  },
} satisfies FilterPlugin;
