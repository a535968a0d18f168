// NodePorts: a pod asking for host ports fits only where none of them is taken (same protocol and
// port, on the same address or on 0.0.0.0).
import type { DeepReadonly } from "@mk/proto/informer";
import type { Pod } from "@mk/proto";
import type { CycleState, FilterPlugin } from "../framework/interfaces.js";
import type { NodeView } from "../framework/node-info.js";
import { SUCCESS, type Status, unschedulable } from "../framework/status.js";

export const NAME = "NodePorts";
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";

export const nodePorts = {
  name: NAME,
  relevant: (_pod: DeepReadonly<Pod>, state: CycleState) => state.podInfo.hostPorts.length > 0,
  filter(state: CycleState, _pod: DeepReadonly<Pod>, node: NodeView): Status {
    const ports = state.podInfo.hostPorts;
    if (ports.length === 0) return SUCCESS;
    return node.portsConflict(ports) ? unschedulable(ERR_REASON) : SUCCESS;
  },
} satisfies FilterPlugin;
