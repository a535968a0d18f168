#!/usr/bin/env node
// mk-controller-manager: flags → client, /healthz + /metrics, leader election, the controllers.
// Wiring only; signals become cancellation.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { connect, tlsFromFiles } from "@mk/proto/client";
import { leaderTimings, serveHealth } from "@mk/proto/informer";
import { collectDefaultMetrics } from "prom-client";
import { newLogger } from "./log.js";
import { DEFAULT_CONCURRENCY, runControllerManager } from "./manager.js";
import { ControllerMetrics } from "./metrics.js";
import { CidrSet } from "./nodeipam/cidr-set.js";
import { DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE } from "./nodeipam/controller.js";

const USAGE = `Usage: mk-controller-manager [flags]
  --server                       the API server (default 127.0.0.1:6443)
  --leader-elect                 hold Lease mk-system/mk-controller-manager to run (default true;
                                 --leader-elect=false or --no-leader-elect for a single replica)
  --lease-duration               seconds a standby waits before taking over (default 15)
  --identity                     this replica's name in the Lease (default HOSTNAME_UUID)
  --http-listen                  serve /healthz, /leader and /metrics here (default 127.0.0.1:10252; "" for none)
  --concurrent-deployment-syncs  deployment workers (default ${DEFAULT_CONCURRENCY.deployment})
  --concurrent-replicaset-syncs  replicaset workers (default ${DEFAULT_CONCURRENCY.replicaset})
  --concurrent-gc-syncs          garbage collector workers (default ${DEFAULT_CONCURRENCY.gc})
  --concurrent-node-syncs        node lifecycle workers (default ${DEFAULT_CONCURRENCY.nodelifecycle})
  --node-monitor-grace-period    a node whose Lease has not changed this long is Ready=Unknown (default 40s)
  --node-monitor-period          how often the node lifecycle controller checks every node (default 5s)
  --default-unreachable-toleration-seconds
                                 how long pods without their own toleration stay on an unreachable node (default 300)
  --cluster-cidr                 the pods' range, cut into one podCIDR per Node (default ${DEFAULT_CLUSTER_CIDR})
  --node-cidr-mask-size          prefix length of each Node's podCIDR (default ${DEFAULT_NODE_CIDR_MASK_SIZE})
  --tls-ca/--tls-cert/--tls-key FILE   mutual TLS to the API server (\`mkctl cluster init\` makes them)
  --log-level                    pino level (default info)`;

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
  // --leader-elect=false as kube-controller-manager spells it, besides --no-leader-elect.
  const argv = process.argv.slice(2).map((a) => (a === "--leader-elect=false" ? "--no-leader-elect" : a === "--leader-elect=true" ? "--leader-elect" : a));
  const { values } = parseArgs({
    args: argv,
    allowNegative: true,
    options: {
      server: { type: "string", default: "127.0.0.1:6443" },
      "tls-ca": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "leader-elect": { type: "boolean", default: true },
      "lease-duration": { type: "string", default: "15" },
      identity: { type: "string", default: `${hostname()}_${randomUUID()}` },
      "http-listen": { type: "string", default: "127.0.0.1:10252" },
      "concurrent-deployment-syncs": { type: "string", default: String(DEFAULT_CONCURRENCY.deployment) },
      "concurrent-replicaset-syncs": { type: "string", default: String(DEFAULT_CONCURRENCY.replicaset) },
      "concurrent-gc-syncs": { type: "string", default: String(DEFAULT_CONCURRENCY.gc) },
      "concurrent-node-syncs": { type: "string", default: String(DEFAULT_CONCURRENCY.nodelifecycle) },
      "node-monitor-grace-period": { type: "string", default: "40s" },
      "node-monitor-period": { type: "string", default: "5s" },
      "default-unreachable-toleration-seconds": { type: "string", default: "300" },
      "cluster-cidr": { type: "string", default: DEFAULT_CLUSTER_CIDR },
      "node-cidr-mask-size": { type: "string", default: String(DEFAULT_NODE_CIDR_MASK_SIZE) },
      "log-level": { type: "string", default: "info" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = newLogger(values["log-level"]);
  const metrics = new ControllerMetrics();
  collectDefaultMetrics({ register: metrics.registry });
  const concurrency = {
    deployment: positiveInt("concurrent-deployment-syncs", values["concurrent-deployment-syncs"]),
    replicaset: positiveInt("concurrent-replicaset-syncs", values["concurrent-replicaset-syncs"]),
    gc: positiveInt("concurrent-gc-syncs", values["concurrent-gc-syncs"]),
    nodelifecycle: positiveInt("concurrent-node-syncs", values["concurrent-node-syncs"]),
  };

  const nodeIpam = { clusterCidr: values["cluster-cidr"], nodeCidrMaskSize: positiveInt("node-cidr-mask-size", values["node-cidr-mask-size"]) };
  try {
    new CidrSet(nodeIpam.clusterCidr, nodeIpam.nodeCidrMaskSize);
  } catch (err) {
    throw new Error(`--cluster-cidr/--node-cidr-mask-size: ${err instanceof Error ? err.message : String(err)}`);
  }

  const abort = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      log.info({ signal: sig }, "shutting down");
      abort.abort();
    });
  }

  let leading = false;
  const listen = values["http-listen"];
  const http = await serveHealth({ listen, registry: metrics.registry, isLeader: () => leading });
  if (http) log.info({ address: listen }, "serving /healthz and /metrics");

  const client = connect({ server: values.server, userAgent: "mk-controller-manager", tls: tlsFromFiles({ ca: values["tls-ca"], cert: values["tls-cert"], key: values["tls-key"] }) });
  const leaseMs = positiveInt("lease-duration", values["lease-duration"]) * 1000;
  try {
    await runControllerManager(abort.signal, {
      client,
      logger: log,
      metrics,
      concurrency,
      nodeLifecycle: {
        nodeMonitorGracePeriodMs: durationMs("node-monitor-grace-period", values["node-monitor-grace-period"]),
        nodeMonitorPeriodMs: durationMs("node-monitor-period", values["node-monitor-period"]),
        defaultUnreachableTolerationSeconds: positiveInt("default-unreachable-toleration-seconds", values["default-unreachable-toleration-seconds"]),
      },
      nodeIpam,
      identity: values.identity,
      leaderElection: values["leader-elect"] ? leaderTimings(values.identity, leaseMs) : undefined,
      onLeading: (l) => {
        leading = l;
        log.info({ leading: l, identity: values.identity }, "leadership changed");
      },
    });
  } finally {
    client.close();
    http?.close();
  }
  // Leadership lost (not asked to stop): exit non-zero so a supervisor restarts a fresh candidate.
  return abort.signal.aborted ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`mk-controller-manager: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
