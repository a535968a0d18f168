// BalancedAllocation: prefers the node whose cpu and memory would be used in equal fractions, so
// neither is stranded. With two resources the standard deviation is |cpu − memory| / 2:
// cpu 60 % and memory 20 % used → std 0.2 → score (1 − 0.2) × 100 = 80.
import type { DeepReadonly } from "@mk/proto/informer";
import type { Pod } from "@mk/proto";
import { type CycleState, MAX_NODE_SCORE, type ScorePlugin } from "../framework/interfaces.js";
import type { NodeView } from "../framework/node-info.js";

export const NAME = "NodeResourcesBalancedAllocation";

function fraction(requested: number, allocatable: number): number {
  if (allocatable <= 0) return 1;
  return Math.min(1, requested / allocatable);
}

export const balancedAllocation = {
  name: NAME,
  weight: 1,
  score(state: CycleState, _pod: DeepReadonly<Pod>, node: NodeView): number {
    const want = state.podInfo.nonZeroRequests;
    const used = node.nonZeroRequested;
    const cpu = fraction(used.cpu + want.cpu, node.allocatable.cpu);
    const memory = fraction(used.memory + want.memory, node.allocatable.memory);
    const std = Math.abs(cpu - memory) / 2;
    return (1 - std) * MAX_NODE_SCORE;
  },
} satisfies ScorePlugin;
