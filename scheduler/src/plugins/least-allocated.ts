// LeastAllocated: prefers the node with the most room left after placing the pod, averaged over cpu
// and memory. Requests are counted non-zero (a request-less container as 100m / 200Mi).
// Example: 4000m allocatable, 1000m requested, the pod asks 1000m → (4000-2000)*100/4000 = 50 for cpu.
import type { DeepReadonly } from "@mk/proto/informer";
import type { Pod } from "@mk/proto";
import { type CycleState, MAX_NODE_SCORE, type ScorePlugin } from "../framework/interfaces.js";
import type { NodeView } from "../framework/node-info.js";

export const NAME = "NodeResourcesLeastAllocated";

function free(requested: number, allocatable: number): number {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return ((allocatable - requested) * MAX_NODE_SCORE) / allocatable;
}

export const leastAllocated = {
  name: NAME,
  weight: 1,
  score(state: CycleState, _pod: DeepReadonly<Pod>, node: NodeView): number {
    const want = state.podInfo.nonZeroRequests;
    const used = node.nonZeroRequested;
    const cpu = free(used.cpu + want.cpu, node.allocatable.cpu);
    const memory = free(used.memory + want.memory, node.allocatable.memory);
    return (cpu + memory) / 2;
  },
} satisfies ScorePlugin;
