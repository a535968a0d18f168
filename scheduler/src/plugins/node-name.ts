// NodeName: a pod that names its node (spec.nodeName) fits only there. The scheduler only sees pods
// without a node, so this matters for callers that run the pipeline on a named pod (e.g. `mkctl why`).
import type { DeepReadonly } from "@mk/proto/informer";
import type { Pod } from "@mk/proto";
import type { CycleState, FilterPlugin } from "../framework/interfaces.js";
import type { NodeView } from "../framework/node-info.js";
import { SUCCESS, type Status, unresolvable } from "../framework/status.js";

export const NAME = "NodeName";
export const ERR_REASON = "node(s) didn't match the requested node name";

export const nodeName = {
  name: NAME,
  relevant: (pod: DeepReadonly<Pod>) => (pod.spec?.nodeName ?? "") !== "",
  filter(_state: CycleState, pod: DeepReadonly<Pod>, node: NodeView): Status {
    const want = pod.spec?.nodeName ?? "";
    return want === "" || want === node.name ? SUCCESS : unresolvable(ERR_REASON);
  },
} satisfies FilterPlugin;
