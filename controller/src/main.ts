#!/usr/bin/env node
// mk-controller-manager: flags → client, /healthz + /metrics, leader election, the controllers.
// Wiring only; signals become cancellation.
import { parseReplicaArgs, replicaUsage, runReplica } from "@mk/proto/informer";
import { collectDefaultMetrics } from "prom-client";
import { CONTROLLERS, DEFAULT_CONCURRENCY, enabledControllers } from "./controllers.js";
import { newLogger } from "./log.js";
import { LEASE_NAME, runControllerManager } from "./manager.js";
import { ControllerMetrics } from "./metrics.js";
import { CidrSet } from "./nodeipam/cidr-set.js";
import { DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE } from "./nodeipam/controller.js";

const REPLICA = { leaderElect: true, lease: LEASE_NAME, httpListen: "127.0.0.1:10252" };

const USAGE = `Usage: mk-controller-manager [flags]
${replicaUsage(REPLICA)}
  --controllers                  which controllers run, as kube-controller-manager: "*" all, "name" one,
                                 "-name" not that one, e.g. --controllers=*,-garbagecollector (default *);
                                 known: ${Object.keys(CONTROLLERS).join(", ")}
  --concurrent-deployment-syncs  deployment workers (default ${DEFAULT_CONCURRENCY.deployment})
  --concurrent-replicaset-syncs  replicaset workers (default ${DEFAULT_CONCURRENCY.replicaset})
  --concurrent-gc-syncs          garbage collector workers (default ${DEFAULT_CONCURRENCY.gc})
  --concurrent-node-syncs        node lifecycle workers (default ${DEFAULT_CONCURRENCY.nodelifecycle})
  --concurrent-service-endpoint-syncs   endpointslice workers (default ${DEFAULT_CONCURRENCY.endpointslice})
  --concurrent-job-syncs         job workers (default ${DEFAULT_CONCURRENCY.job})
  --concurrent-cron-job-syncs    cronjob workers (default ${DEFAULT_CONCURRENCY.cronjob})
  --concurrent-namespace-syncs   namespace workers (default ${DEFAULT_CONCURRENCY.namespace})
  --node-monitor-grace-period    a node whose Lease has not changed this long is Ready=Unknown (default 40s)
  --node-monitor-period          how often the node lifecycle controller checks every node (default 5s)
  --default-unreachable-toleration-seconds
                                 how long pods without their own toleration stay on an unreachable node (default 300)
  --cluster-cidr                 the pods' range, cut into one podCIDR per Node (default ${DEFAULT_CLUSTER_CIDR})
  --node-cidr-mask-size          prefix length of each Node's podCIDR (default ${DEFAULT_NODE_CIDR_MASK_SIZE})`;

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** "40s", "500ms", "1m" or bare seconds, as kube-controller-manager's duration flags. */
function durationMs(name: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
  if (!m || Number(m[1]) <= 0) throw new Error(`--${name}: must be a positive duration like 40s or 500ms, got ${JSON.stringify(v)}`);
  return Math.round(Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "m" ? 60_000 : 1000));
}

async function main(): Promise<number> {
  const values = parseReplicaArgs(REPLICA, {
    controllers: { type: "string", default: "*" },
    "concurrent-deployment-syncs": { type: "string", default: String(DEFAULT_CONCURRENCY.deployment) },
    "concurrent-replicaset-syncs": { type: "string", default: String(DEFAULT_CONCURRENCY.replicaset) },
    "concurrent-gc-syncs": { type: "string", default: String(DEFAULT_CONCURRENCY.gc) },
    "concurrent-node-syncs": { type: "string", default: String(DEFAULT_CONCURRENCY.nodelifecycle) },
    "concurrent-service-endpoint-syncs": { type: "string", default: String(DEFAULT_CONCURRENCY.endpointslice) },
    "concurrent-job-syncs": { type: "string", default: String(DEFAULT_CONCURRENCY.job) },
    "concurrent-cron-job-syncs": { type: "string", default: String(DEFAULT_CONCURRENCY.cronjob) },
    "concurrent-namespace-syncs": { type: "string", default: String(DEFAULT_CONCURRENCY.namespace) },
    "node-monitor-grace-period": { type: "string", default: "40s" },
    "node-monitor-period": { type: "string", default: "5s" },
    "default-unreachable-toleration-seconds": { type: "string", default: "300" },
    "cluster-cidr": { type: "string", default: DEFAULT_CLUSTER_CIDR },
    "node-cidr-mask-size": { type: "string", default: String(DEFAULT_NODE_CIDR_MASK_SIZE) },
  } as const);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Flags first: a bad one is an error before anything starts.
  const controllers = enabledControllers(values.controllers);
  const nodeIpam = { clusterCidr: values["cluster-cidr"], nodeCidrMaskSize: positiveInt("node-cidr-mask-size", values["node-cidr-mask-size"]) };
  try {
    new CidrSet(nodeIpam.clusterCidr, nodeIpam.nodeCidrMaskSize);
  } catch (err) {
    throw new Error(`--cluster-cidr/--node-cidr-mask-size: ${err instanceof Error ? err.message : String(err)}`);
  }
  const log = newLogger(values["log-level"]);
  const metrics = new ControllerMetrics();
  collectDefaultMetrics({ register: metrics.registry });
  const concurrency = {
    deployment: positiveInt("concurrent-deployment-syncs", values["concurrent-deployment-syncs"]),
    replicaset: positiveInt("concurrent-replicaset-syncs", values["concurrent-replicaset-syncs"]),
    gc: positiveInt("concurrent-gc-syncs", values["concurrent-gc-syncs"]),
    nodelifecycle: positiveInt("concurrent-node-syncs", values["concurrent-node-syncs"]),
    endpointslice: positiveInt("concurrent-service-endpoint-syncs", values["concurrent-service-endpoint-syncs"]),
    job: positiveInt("concurrent-job-syncs", values["concurrent-job-syncs"]),
    cronjob: positiveInt("concurrent-cron-job-syncs", values["concurrent-cron-job-syncs"]),
    namespace: positiveInt("concurrent-namespace-syncs", values["concurrent-namespace-syncs"]),
  };
  const nodeLifecycle = {
    nodeMonitorGracePeriodMs: durationMs("node-monitor-grace-period", values["node-monitor-grace-period"]),
    nodeMonitorPeriodMs: durationMs("node-monitor-period", values["node-monitor-period"]),
    defaultUnreachableTolerationSeconds: positiveInt("default-unreachable-toleration-seconds", values["default-unreachable-toleration-seconds"]),
  };
  const stopped = await runReplica({
    component: "mk-controller-manager",
    values,
    registry: metrics.registry,
    logger: log,
    work: ({ client, signal, leaderElection, onLeading }) =>
      runControllerManager(signal, { client, logger: log, metrics, controllers, concurrency, nodeLifecycle, nodeIpam, identity: values.identity, leaderElection, onLeading }),
  });
  // Leadership lost (not asked to stop): exit non-zero so a supervisor restarts a fresh candidate.
  return stopped ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`mk-controller-manager: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
