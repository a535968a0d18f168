// The strategy of every kind, in one table.
import { configMapStrategy, secretStrategy } from "./config.js";
import { cronJobStrategy } from "./cronjob.js";
import { deploymentStrategy } from "./deployment.js";
import { endpointSliceStrategy, endpointsStrategy } from "./endpoints.js";
import { eventStrategy } from "./event.js";
import { jobStrategy } from "./job.js";
import { leaseStrategy } from "./lease.js";
import { namespaceStrategy } from "./namespace.js";
import { nodeStrategy } from "./node.js";
import { podStrategy } from "./pod.js";
import { replicaSetStrategy } from "./replicaset.js";
import { serviceStrategy } from "./service.js";
import type { StrategyTable } from "./strategy.js";

export const STRATEGIES: StrategyTable = {
  Namespace: namespaceStrategy,
  Node: nodeStrategy,
  Pod: podStrategy,
  ReplicaSet: replicaSetStrategy,
  Deployment: deploymentStrategy,
  Lease: leaseStrategy,
  Event: eventStrategy,
  ConfigMap: configMapStrategy,
  Secret: secretStrategy,
  Service: serviceStrategy,
  Endpoints: endpointsStrategy,
  EndpointSlice: endpointSliceStrategy,
  Job: jobStrategy,
  CronJob: cronJobStrategy,
};

