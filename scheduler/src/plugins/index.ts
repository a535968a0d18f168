// The default plugin set, in Kubernetes' filter order: cheap, decisive checks first.
import type { FilterPlugin, ScorePlugin } from "../framework/interfaces.js";
import { balancedAllocation } from "./balanced-allocation.js";
import { leastAllocated } from "./least-allocated.js";
import { nodeAffinity } from "./node-affinity.js";
import { nodeName } from "./node-name.js";
import { nodePorts } from "./node-ports.js";
import { nodeResourcesFit } from "./node-resources-fit.js";
import { nodeUnschedulable } from "./node-unschedulable.js";
import { ownerSpread } from "./owner-spread.js";
import { taintToleration } from "./taint-toleration.js";

export const DEFAULT_FILTERS: readonly FilterPlugin[] = [
  nodeUnschedulable,
  nodeName,
  taintToleration,
  nodeAffinity,
  nodePorts,
  nodeResourcesFit,
];

export const DEFAULT_SCORES: readonly ScorePlugin[] = [leastAllocated, balancedAllocation, ownerSpread];
