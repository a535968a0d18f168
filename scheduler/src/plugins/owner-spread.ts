// OwnerSpread (kube-scheduler's SelectorSpread): prefers nodes running fewer pods of the same owner,
// so one ReplicaSet's replicas do not share a fate. Raw score: the owner's pods on the node; then
// rescaled against the busiest feasible node: counts 3, 2, 0 → 100·(3−3)/3 = 0, 33, 100.
import type { DeepReadonly } from "@mk/proto/informer";
import type { Pod } from "@mk/proto";
import { type CycleState, MAX_NODE_SCORE, type ScorePlugin } from "../framework/interfaces.js";
import type { NodeView } from "../framework/node-info.js";

export const NAME = "OwnerSpread";

export const ownerSpread = {
  name: NAME,
  // As PodTopologySpread's default weight: spreading outweighs packing preferences.
  weight: 2,
  score(state: CycleState, _pod: DeepReadonly<Pod>, node: NodeView): number {
    return node.ownerCount(state.podInfo.ownerUid);
  },
  normalize(_state: CycleState, scores: number[]): void {
    let max = 0;
    for (const s of scores) if (s > max) max = s;
    for (let i = 0; i < scores.length; i++) {
      scores[i] = max === 0 ? MAX_NODE_SCORE : (MAX_NODE_SCORE * (max - (scores[i] ?? 0))) / max;
    }
  },
} satisfies ScorePlugin;
