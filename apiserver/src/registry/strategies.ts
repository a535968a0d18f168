// The strategy of every kind, in one table.
import type { KindName } from "@mk/proto";
import { deploymentStrategy } from "./deployment.js";
import { eventStrategy } from "./event.js";
import { leaseStrategy } from "./lease.js";
import { namespaceStrategy } from "./namespace.js";
import { nodeStrategy } from "./node.js";
import { podStrategy } from "./pod.js";
import { replicaSetStrategy } from "./replicaset.js";
import type { Strategy } from "./strategy.js";

export const STRATEGIES: { readonly [K in KindName]: Strategy<K> } = {
  Namespace: namespaceStrategy,
  Node: nodeStrategy,
  Pod: podStrategy,
  ReplicaSet: replicaSetStrategy,
  Deployment: deploymentStrategy,
  Lease: leaseStrategy,
  Event: eventStrategy,
};

export function strategyOf<K extends KindName>(kind: K): Strategy<K> {
  return STRATEGIES[kind];
}
