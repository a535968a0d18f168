// The whole placement decision for one pod, in one function (as Nomad's stack.go): filter a bounded,
// rotating sample of nodes, score the feasible ones, pick the best with a tie-break seeded by the
// pod's uid. Pure: no I/O, no clock, no randomness; the same pod and nodes give the same node.
import type { DeepReadonly } from "@mk/proto/informer";
import type { Pod } from "@mk/proto";
import { unschedulableMessage } from "./framework/diagnosis.js";
import { fnv1a, mix } from "./framework/hash.js";
import type { CycleState, FilterPlugin, ScorePlugin } from "./framework/interfaces.js";
import type { NodeView } from "./framework/node-info.js";
import { type PodInfo, podInfoOf } from "./framework/pod-info.js";
import { isSuccess, type Status } from "./framework/status.js";
import { DEFAULT_FILTERS, DEFAULT_SCORES } from "./plugins/index.js";

export interface PipelineOptions {
  filters: readonly FilterPlugin[];
  scores: readonly ScorePlugin[];
  /** Percentage of nodes to find feasible before scoring; 0: adaptive, as kube-scheduler. */
  percentageOfNodesToScore: number;
}

export const DEFAULT_PIPELINE: PipelineOptions = {
  filters: DEFAULT_FILTERS,
  scores: DEFAULT_SCORES,
  percentageOfNodesToScore: 0,
};

/** Below this many nodes every node is considered; above, at least this many feasible ones. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** The adaptive percentage never goes below this. */
export const MIN_FEASIBLE_NODES_PERCENTAGE = 5;

export interface NodeScore {
  readonly node: string;
  readonly total: number;
}

/** Every decision of one attempt, for logs, metrics and `why` (Nomad's AllocMetric). */
export interface Decisions {
  readonly nodesTotal: number;
  /** Nodes run through the filters (fewer than nodesTotal when the sample filled up early). */
  nodesEvaluated: number;
  nodesFeasible: number;
  /** Each rejected node with the filter's verdict (plugin and reasons). */
  readonly rejected: Map<string, Status>;
  /** The best few scores, best first. */
  topScores: NodeScore[];
}

export type ScheduleResult =
  | { readonly kind: "Scheduled"; readonly nodeName: string; readonly decisions: Decisions }
  | { readonly kind: "Unschedulable"; readonly message: string; readonly decisions: Decisions };

export interface ScheduleOutput {
  result: ScheduleResult;
  /** Where the next attempt starts filtering, so successive pods look at different nodes first. */
  nextStartIndex: number;
}

/**
 * How many feasible nodes to find before scoring, as kube-scheduler's numFeasibleNodesToFind:
 * all below 100 nodes; else 50 % − 1 % per 125 nodes, at least 5 % and 100 nodes.
 * 1000 nodes → 50 − 8 = 42 % → 420; 5000 nodes → 10 % → 500; 10 000 → 5 % → 500.
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentage: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, 50 - Math.floor(numAllNodes / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((numAllNodes * pct) / 100));
}


const TOP_SCORES_KEPT = 5;

/**
 * Picks a node for the pod among `nodes` (in a stable order, e.g. by name). startIndex rotates the
 * filtering start so that, on large clusters, the sample moves over all nodes pod after pod.
 */
export function schedulePod(
  pod: DeepReadonly<Pod>,
  nodes: readonly NodeView[],
  opts: PipelineOptions = DEFAULT_PIPELINE,
  startIndex = 0,
  podInfo: PodInfo = podInfoOf(pod),
): ScheduleOutput {
  const n = nodes.length;
  const state: CycleState = { podInfo };
  const decisions: Decisions = { nodesTotal: n, nodesEvaluated: 0, nodesFeasible: 0, rejected: new Map(), topScores: [] };

  // Stage 1 — filter. Run the filters in order on each node until one rejects it, recording the
  // verdict; stop once enough feasible nodes are found (all of them on small clusters).
  const want = numFeasibleNodesToFind(n, opts.percentageOfNodesToScore);
  const filters = opts.filters.filter((f) => f.relevant?.(pod, state) ?? true);
  const feasible: NodeView[] = [];
  const start = n === 0 ? 0 : startIndex % n;
  let evaluated = 0;
  for (; evaluated < n && feasible.length < want; evaluated++) {
    const node = nodes[(start + evaluated) % n]!;
    let verdict: Status | undefined;
    for (const f of filters) {
      const s = f.filter(state, pod, node);
      if (!isSuccess(s)) {
        verdict = { ...s, plugin: f.name };
        break;
      }
    }
    if (verdict) decisions.rejected.set(node.name, verdict);
    else feasible.push(node);
  }
  decisions.nodesEvaluated = evaluated;
  decisions.nodesFeasible = feasible.length;
  const nextStartIndex = n === 0 ? 0 : (start + evaluated) % n;

  // Stage 2 — nowhere fits: an expected outcome, explained in Kubernetes' words.
  if (feasible.length === 0) {
    const message = unschedulableMessage(n, decisions.rejected.values());
    return { result: { kind: "Unschedulable", message, decisions }, nextStartIndex };
  }

  // Stage 3 — one feasible node: nothing to compare, skip scoring (as kube-scheduler).
  if (feasible.length === 1) {
    const only = feasible[0]!;
    decisions.topScores = [{ node: only.name, total: 0 }];
    return { result: { kind: "Scheduled", nodeName: only.name, decisions }, nextStartIndex };
  }

  // Stage 4 — score. Each plugin scores every feasible node 0–100 (after its own normalization),
  // truncated to an integer as kube-scheduler's int64 scores; totals are weighted sums.
  const totals = new Array<number>(feasible.length).fill(0);
  const raw = new Array<number>(feasible.length);
  for (const p of opts.scores) {
    for (let i = 0; i < feasible.length; i++) raw[i] = p.score(state, pod, feasible[i]!);
    p.normalize?.(state, raw);
    for (let i = 0; i < feasible.length; i++) totals[i]! += Math.trunc(raw[i]!) * p.weight;
  }

  // Stage 5 — select the highest total. Ties go to the node with the lowest hash of (pod uid, node
  // name), mixed from precomputed hashes of each,: the same pod always picks the same node, whatever order the nodes were visited in, and
  // different pods spread over the tied nodes.
  const seed = fnv1a(podInfo.uid || podInfo.key);
  let best = -1;
  let bestTotal = Number.NEGATIVE_INFINITY;
  let bestHash = 0;
  for (let i = 0; i < feasible.length; i++) {
    const t = totals[i]!;
    if (t < bestTotal) continue;
    const h = mix(feasible[i]!.nameHash, seed);
    if (t > bestTotal || h < bestHash || (h === bestHash && feasible[i]!.name < feasible[best]!.name)) {
      best = i;
      bestTotal = t;
      bestHash = h;
    }
  }
  decisions.topScores = topScores(feasible, totals);
  return { result: { kind: "Scheduled", nodeName: feasible[best]!.name, decisions }, nextStartIndex };
}

function topScores(nodes: readonly NodeView[], totals: readonly number[]): NodeScore[] {
  const top: NodeScore[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const s = { node: nodes[i]!.name, total: totals[i]! };
    if (top.length < TOP_SCORES_KEPT) top.push(s);
    else if (s.total > top[top.length - 1]!.total) top[top.length - 1] = s;
    else continue;
    top.sort((a, b) => b.total - a.total || (a.node < b.node ? -1 : 1));
  }
  return top;
}
