// NodeResourcesFit: the pod's requests plus what the node's pods already request must fit in the
// node's allocatable cpu, memory and pod count. Every resource short is a reason of its own, so a
// node short of both reads "Insufficient cpu, Insufficient memory" in the aggregated message.
import type { DeepReadonly } from "@mk/proto/informer";
import type { Pod } from "@mk/proto";
import type { CycleState, FilterPlugin } from "../framework/interfaces.js";
import type { NodeView } from "../framework/node-info.js";
import { SUCCESS, type Status, unschedulable } from "../framework/status.js";

export const NAME = "NodeResourcesFit";
export const ERR_REASON_CPU = "Insufficient cpu";
export const ERR_REASON_MEMORY = "Insufficient memory";
export const ERR_REASON_PODS = "Too many pods";

export const nodeResourcesFit = {
  name: NAME,
  filter(state: CycleState, _pod: DeepReadonly<Pod>, node: NodeView): Status {
    const want = state.podInfo.requests;
    const used = node.requested;
    const reasons: string[] = [];
    if (node.podCount + 1 > node.allocatable.pods) reasons.push(ERR_REASON_PODS);
    // A zero request always fits, even on a node already over-committed (as Kubernetes).
    if (want.cpu > 0 && used.cpu + want.cpu > node.allocatable.cpu) reasons.push(ERR_REASON_CPU);
    if (want.memory > 0 && used.memory + want.memory > node.allocatable.memory) reasons.push(ERR_REASON_MEMORY);
    return reasons.length === 0 ? SUCCESS : unschedulable(...reasons);
  },
} satisfies FilterPlugin;
