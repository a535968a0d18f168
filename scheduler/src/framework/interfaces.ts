// The extension points, as small as kube-scheduler's framework: a Filter says whether a pod may run
// on a node (with a reason when not), a Score says how good a feasible node is (0–100).
import type { DeepReadonly } from "@mk/proto/informer";
import type { Pod } from "@mk/proto";
import type { NodeView } from "./node-info.js";
import type { PodInfo } from "./pod-info.js";
import type { Status } from "./status.js";

export const MAX_NODE_SCORE = 100;

/** Computed once per pod per attempt and shared by every plugin call of that attempt. */
export interface CycleState {
  readonly podInfo: PodInfo;
}

export interface FilterPlugin {
  readonly name: string;
  /**
   * Whether the filter can reject anything for this pod (kube-scheduler's PreFilter "Skip"): a pod
   * without host ports need not be checked for port conflicts on 1000 nodes. Absent: always run.
   */
  relevant?(pod: DeepReadonly<Pod>, state: CycleState): boolean;
  filter(state: CycleState, pod: DeepReadonly<Pod>, node: NodeView): Status;
}

export interface ScorePlugin {
  readonly name: string;
  /** Multiplies the plugin's 0–100 score in the weighted sum. */
  readonly weight: number;
  score(state: CycleState, pod: DeepReadonly<Pod>, node: NodeView): number;
  /** Rescales the raw scores of all feasible nodes in place to 0–100 (for relative scores such as spreading). */
  normalize?(state: CycleState, scores: number[]): void;
}
