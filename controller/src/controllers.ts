// The controllers this manager can run, by the names `--controllers` takes (kube-controller-manager's
// names for the same controllers). To add one: write it on runController (@mk/proto/informer), add a
// line to CONTROLLERS that builds it from the context — its informers come from the shared factory,
// so every controller reading a kind shares one list+watch — and, if it has settings, a field in
// ControllerSettings with its flag in main.ts. It is then on by default and `-name` turns it off.
import type { Clientset, EventRecorder } from "@mk/proto/client";
import type { InformerFactory } from "@mk/proto/informer";
import { CronJobController } from "./cronjob/controller.js";
import { DeploymentController } from "./deployment/controller.js";
import { EndpointSliceController } from "./endpointslice/controller.js";
import { GarbageCollector } from "./gc/collector.js";
import { JobController } from "./job/controller.js";
import { NamespaceController } from "./namespace/controller.js";
import type { Logger } from "./log.js";
import type { ControllerMetrics } from "./metrics.js";
import { CLAIM_NAMESPACE } from "./nodeipam/claims.js";
import { DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE, NodeIpamController } from "./nodeipam/controller.js";
import { NODE_LEASE_NAMESPACE, NodeLifecycleController, type NodeLifecycleControllerOptions } from "./nodelifecycle/controller.js";
import { PodGCController } from "./podgc/controller.js";
import { ReplicaSetController } from "./replicaset/controller.js";

/** --concurrent-*-syncs: workers per controller. */
export interface Concurrency {
  deployment: number;
  replicaset: number;
  gc: number;
  nodelifecycle: number;
  podgc: number;
  nodeipam: number;
  endpointslice: number;
  job: number;
  cronjob: number;
  namespace: number;
}

export const DEFAULT_CONCURRENCY: Concurrency = { deployment: 5, replicaset: 5, gc: 20, nodelifecycle: 2, podgc: 2, nodeipam: 1, endpointslice: 5, job: 5, cronjob: 5, namespace: 2 };

/** The controllers' flags. */
export interface ControllerSettings {
  concurrency: Concurrency;
  /** --node-monitor-grace-period, --node-monitor-period, --default-unreachable-toleration-seconds. */
  nodeLifecycle?: Pick<NodeLifecycleControllerOptions, "nodeMonitorGracePeriodMs" | "nodeMonitorPeriodMs" | "defaultUnreachableTolerationSeconds"> | undefined;
  /** --cluster-cidr and --node-cidr-mask-size (defaults 10.244.0.0/16 and 24). */
  nodeIpam?: { clusterCidr: string; nodeCidrMaskSize: number } | undefined;
}

/** What every controller is built from: one of each per controller manager term. */
export interface ControllerContext {
  client: Clientset;
  informers: InformerFactory;
  recorder: EventRecorder;
  logger: Logger;
  metrics: ControllerMetrics | undefined;
  settings: ControllerSettings;
}

/** A built controller: its informer handlers are registered; run works until the signal aborts. */
export interface RunnableController {
  run(signal: AbortSignal): Promise<void>;
}

export type ControllerFactory = (ctx: ControllerContext) => RunnableController;

export const CONTROLLERS = {
  deployment: (ctx) => {
    const c = new DeploymentController({
      ...common(ctx),
      deploymentInformer: ctx.informers.informerFor("Deployment"),
      rsInformer: ctx.informers.informerFor("ReplicaSet"),
      podInformer: ctx.informers.informerFor("Pod"),
    });
    return { run: (signal) => c.run(ctx.settings.concurrency.deployment, signal) };
  },
  replicaset: (ctx) => {
    const c = new ReplicaSetController({ ...common(ctx), rsInformer: ctx.informers.informerFor("ReplicaSet"), podInformer: ctx.informers.informerFor("Pod") });
    return { run: (signal) => c.run(ctx.settings.concurrency.replicaset, signal) };
  },
  job: (ctx) => {
    const c = new JobController({ ...common(ctx), jobInformer: ctx.informers.informerFor("Job"), podInformer: ctx.informers.informerFor("Pod") });
    return { run: (signal) => c.run(ctx.settings.concurrency.job, signal) };
  },
  cronjob: (ctx) => {
    const c = new CronJobController({ ...common(ctx), cronJobInformer: ctx.informers.informerFor("CronJob"), jobInformer: ctx.informers.informerFor("Job") });
    return { run: (signal) => c.run(ctx.settings.concurrency.cronjob, signal) };
  },
  garbagecollector: (ctx) => {
    // Events own nothing and are the busiest kind: left out, as kube-controller-manager's GC leaves them out.
    const c = new GarbageCollector({ ...common(ctx), informers: ctx.informers, ignoredKinds: ["Event"] });
    return { run: (signal) => c.run(ctx.settings.concurrency.gc, signal) };
  },
  podgc: (ctx) => {
    const c = new PodGCController({ ...common(ctx), podInformer: ctx.informers.informerFor("Pod"), nodeInformer: ctx.informers.informerFor("Node") });
    return { run: (signal) => c.run(ctx.settings.concurrency.podgc, signal) };
  },
  endpointslice: (ctx) => {
    const c = new EndpointSliceController({
      ...common(ctx),
      serviceInformer: ctx.informers.informerFor("Service"),
      podInformer: ctx.informers.informerFor("Pod"),
      sliceInformer: ctx.informers.informerFor("EndpointSlice"),
      endpointsInformer: ctx.informers.informerFor("Endpoints"),
    });
    return { run: (signal) => c.run(ctx.settings.concurrency.endpointslice, signal) };
  },
  nodelifecycle: (ctx) => {
    const c = new NodeLifecycleController({
      ...ctx.settings.nodeLifecycle,
      ...common(ctx),
      nodeInformer: ctx.informers.informerFor("Node"),
      // Only the leases in mk-node-lease are node heartbeats.
      leaseInformer: ctx.informers.informerFor("Lease", { namespace: NODE_LEASE_NAMESPACE }),
      podInformer: ctx.informers.informerFor("Pod"),
    });
    return { run: (signal) => c.run(ctx.settings.concurrency.nodelifecycle, signal) };
  },
  namespace: (ctx) => {
    const c = new NamespaceController({ ...common(ctx), namespaceInformer: ctx.informers.informerFor("Namespace") });
    return { run: (signal) => c.run(ctx.settings.concurrency.namespace, signal) };
  },
  nodeipam: (ctx) => {
    const c = new NodeIpamController({
      ...common(ctx),
      nodeInformer: ctx.informers.informerFor("Node"),
      // The podCIDR claims are Leases in mk-system (nodeipam/claims.ts).
      leaseInformer: ctx.informers.informerFor("Lease", { namespace: CLAIM_NAMESPACE }),
      clusterCidr: ctx.settings.nodeIpam?.clusterCidr ?? DEFAULT_CLUSTER_CIDR,
      nodeCidrMaskSize: ctx.settings.nodeIpam?.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE,
    });
    return { run: (signal) => c.run(ctx.settings.concurrency.nodeipam, signal) };
  },
} satisfies Record<string, ControllerFactory>;

export type ControllerName = keyof typeof CONTROLLERS;

function common(ctx: ControllerContext) {
  return { client: ctx.client, recorder: ctx.recorder, logger: ctx.logger, metrics: ctx.metrics };
}

const KNOWN = Object.keys(CONTROLLERS) as ControllerName[];

function isKnown(name: string): name is ControllerName {
  return (KNOWN as string[]).includes(name);
}

/**
 * The controllers `--controllers` enables, as kube-controller-manager reads it: a comma-separated
 * list where `name` enables one, `-name` disables one, and `*` enables every one not named; for a
 * controller named twice the first item decides. "*,-garbagecollector" runs all but the
 * garbage collector; "deployment,replicaset" runs only those two. Unknown names are an error.
 */
export function enabledControllers(value: string): ControllerName[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const item of items) {
    const name = item.startsWith("-") ? item.slice(1) : item;
    if (item !== "*" && !isKnown(name)) {
      throw new Error(`--controllers: unknown controller ${JSON.stringify(name)} (known: ${KNOWN.join(", ")}; "*" for all, "-name" to disable one)`);
    }
  }
  const star = items.includes("*");
  return KNOWN.filter((name) => {
    for (const item of items) {
      if (item === name) return true;
      if (item === `-${name}`) return false;
    }
    return star;
  });
}
