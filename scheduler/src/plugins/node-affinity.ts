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
  relevant: (pod: DeepReadonly<Pod>) => Object.keys(pod.spec?.nodeSelector ?? {}).length > 0,
  filter(_state: CycleState, pod: DeepReadonly<Pod>, node: NodeView): Status {
    const labels = node.labels;
    for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
      if (labels[k] !== v) return unresolvable(ERR_REASON);
    }
    return SUCCESS;
  },
} satisfies FilterPlugin;
