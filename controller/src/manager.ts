// The controller manager: one shared informer per kind, the ReplicaSet, Deployment, garbage
// collector, pod GC, node lifecycle and node IPAM controllers on it, and (with leader election) all of that only while holding the Lease
// mk-system/mk-controller-manager. k0s-style lifecycle: run(signal) until the signal aborts or
// leadership is lost, stopping everything it started in reverse order.
import type { Clientset } from "@mk/proto/client";
import { EventRecorder } from "@mk/proto/client";
import { InformerFactory, LeaderElector } from "@mk/proto/informer";
import { DeploymentController } from "./deployment/controller.js";
import { GarbageCollector } from "./gc/collector.js";
import type { Logger } from "./log.js";
import type { ControllerMetrics } from "./metrics.js";
import { CLAIM_NAMESPACE } from "./nodeipam/claims.js";
import { DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE, NodeIpamController } from "./nodeipam/controller.js";
import { NODE_LEASE_NAMESPACE, NodeLifecycleController, type NodeLifecycleControllerOptions } from "./nodelifecycle/controller.js";
import { PodGCController } from "./podgc/controller.js";
import { ReplicaSetController } from "./replicaset/controller.js";

export const LEASE_NAME = "mk-controller-manager";
export const LEASE_NAMESPACE = "mk-system";

export interface Concurrency {
  deployment: number;
  replicaset: number;
  gc: number;
  nodelifecycle: number;
  podgc: number;
  nodeipam: number;
}

export const DEFAULT_CONCURRENCY: Concurrency = { deployment: 5, replicaset: 5, gc: 20, nodelifecycle: 2, podgc: 2, nodeipam: 1 };

export interface LeaderElectionConfig {
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface ManagerOptions {
  client: Clientset;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
  concurrency?: Partial<Concurrency>;
  /** Without it this replica runs the controllers at once (a single-replica setup). */
  leaderElection?: LeaderElectionConfig | undefined;
  /** Told when this replica starts or stops leading (for /leader and logs). */
  onLeading?: (leading: boolean) => void;
  identity?: string;
  /** --node-monitor-grace-period, --node-monitor-period, --default-unreachable-toleration-seconds. */
  nodeLifecycle?: Pick<NodeLifecycleControllerOptions, "nodeMonitorGracePeriodMs" | "nodeMonitorPeriodMs" | "defaultUnreachableTolerationSeconds">;
  /** --cluster-cidr and --node-cidr-mask-size (defaults 10.244.0.0/16 and 24). */
  nodeIpam?: { clusterCidr: string; nodeCidrMaskSize: number };
}

/** Runs the controllers until the signal aborts; with leader election only while leading. */
export async function runControllerManager(signal: AbortSignal, o: ManagerOptions): Promise<void> {
  const le = o.leaderElection;
  if (!le) {
    o.onLeading?.(true);
    await runControllers(signal, o);
    return;
  }
  const elector = new LeaderElector({
    client: o.client,
    namespace: LEASE_NAMESPACE,
    name: LEASE_NAME,
    identity: le.identity,
    leaseDurationMs: le.leaseDurationMs,
    renewDeadlineMs: le.renewDeadlineMs,
    retryPeriodMs: le.retryPeriodMs,
    logger: o.logger,
    onStartedLeading: (leading) => {
      o.onLeading?.(true);
      return runControllers(leading, o);
    },
    onStoppedLeading: () => o.onLeading?.(false),
    onNewLeader: (id) => o.logger.info({ leader: id }, "observed leader"),
  });
  await elector.run(signal);
}

/** Informers, then the controllers on them; returns once the signal aborted and all of it stopped. */
export async function runControllers(signal: AbortSignal, o: ManagerOptions): Promise<void> {
  const c = { ...DEFAULT_CONCURRENCY, ...o.concurrency };
  const log = o.logger;
  const factory = new InformerFactory(o.client, { logger: log });
  const recorder = new EventRecorder(
    o.client,
    { component: "mk-controller-manager", host: o.identity ?? o.leaderElection?.identity ?? "" },
    { onError: (err) => log.warn({ err }, "event not recorded") },
  );
  const pods = factory.informerFor("Pod");
  const rss = factory.informerFor("ReplicaSet");
  const deployments = factory.informerFor("Deployment");
  const rsc = new ReplicaSetController({ client: o.client, rsInformer: rss, podInformer: pods, recorder, logger: log, metrics: o.metrics });
  const dc = new DeploymentController({
    client: o.client,
    deploymentInformer: deployments,
    rsInformer: rss,
    podInformer: pods,
    recorder,
    logger: log,
    metrics: o.metrics,
  });
  // Events own nothing and are the busiest kind: left out, as kube-controller-manager's GC leaves them out.
  const gc = new GarbageCollector({ client: o.client, informers: factory, logger: log, metrics: o.metrics, ignoredKinds: ["Event"] });
  const pgc = new PodGCController({ client: o.client, podInformer: pods, nodeInformer: factory.informerFor("Node"), logger: log, metrics: o.metrics });
  const nlc = new NodeLifecycleController({
    ...o.nodeLifecycle,
    client: o.client,
    nodeInformer: factory.informerFor("Node"),
    // Only the leases in mk-node-lease are node heartbeats.
    leaseInformer: factory.informerFor("Lease", { namespace: NODE_LEASE_NAMESPACE }),
    podInformer: pods,
    recorder,
    logger: log,
    metrics: o.metrics,
  });
  const ipam = new NodeIpamController({
    client: o.client,
    nodeInformer: factory.informerFor("Node"),
    leaseInformer: factory.informerFor("Lease", { namespace: CLAIM_NAMESPACE }),
    clusterCidr: o.nodeIpam?.clusterCidr ?? DEFAULT_CLUSTER_CIDR,
    nodeCidrMaskSize: o.nodeIpam?.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE,
    recorder,
    logger: log,
    metrics: o.metrics,
  });
  factory.start(signal);
  log.info({ concurrency: c }, "controllers starting");
  try {
    await Promise.all([rsc.run(c.replicaset, signal), dc.run(c.deployment, signal), gc.run(c.gc, signal), pgc.run(c.podgc, signal), nlc.run(c.nodelifecycle, signal), ipam.run(c.nodeipam, signal)]);
  } finally {
    await factory.stop();
    log.info({}, "controllers stopped");
  }
}
