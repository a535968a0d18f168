// The controller manager: one shared informer per kind, the enabled controllers of the table
// (controllers.ts) on it, and (with leader election) their workers only while holding the Lease
// mk-system/mk-controller-manager. k0s-style lifecycle: run(signal) until the signal aborts or
// leadership is lost, stopping everything it started in reverse order.
import type { Clientset } from "@mk/proto/client";
import { EventRecorder } from "@mk/proto/client";
import { InformerFactory, type LeaderElectionConfig, runWithLeaderElection } from "@mk/proto/informer";
import { CONTROLLERS, type ControllerContext, type ControllerName, type ControllerSettings, type Concurrency, DEFAULT_CONCURRENCY } from "./controllers.js";
import type { Logger } from "./log.js";
import type { ControllerMetrics } from "./metrics.js";

export const LEASE_NAME = "mk-controller-manager";

export interface ManagerOptions {
  client: Clientset;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
  /** Which controllers run (--controllers); default all of them. */
  controllers?: readonly ControllerName[] | undefined;
  concurrency?: Partial<Concurrency>;
  /** Without it this replica runs the controllers at once (a single-replica setup). */
  leaderElection?: LeaderElectionConfig | undefined;
  /** Told when this replica starts or stops leading (for /leader and logs). */
  onLeading?: (leading: boolean) => void;
  identity?: string;
  nodeLifecycle?: ControllerSettings["nodeLifecycle"];
  nodeIpam?: ControllerSettings["nodeIpam"];
}

/**
 * Runs the controllers until the signal aborts; with leader election only while leading. A standby
 * is warm: its informers list and watch from the start (controllers' handlers fill their queues), so
 * a new leader acts as soon as it holds the Lease instead of first listing every kind — which made
 * the takeover's first action come seconds after the lease was won.
 */
export async function runControllerManager(signal: AbortSignal, o: ManagerOptions): Promise<void> {
  const warm = prepareControllers(o);
  warm.factory.start(signal);
  try {
    await runWithLeaderElection({ client: o.client, name: LEASE_NAME, election: o.leaderElection, logger: o.logger, onLeading: o.onLeading, run: (s) => warm.run(s) }, signal);
  } finally {
    await warm.factory.stop();
    o.logger.info({}, "controllers stopped");
  }
}

/** Informers, then the controllers on them; returns once the signal aborted and all of it stopped. */
export async function runControllers(signal: AbortSignal, o: ManagerOptions): Promise<void> {
  const warm = prepareControllers(o);
  warm.factory.start(signal);
  try {
    await warm.run(signal);
  } finally {
    await warm.factory.stop();
    o.logger.info({}, "controllers stopped");
  }
}

/** The shared informers and every enabled controller on them (handlers registered, no worker yet). */
function prepareControllers(o: ManagerOptions): { factory: InformerFactory; run(signal: AbortSignal): Promise<void> } {
  const log = o.logger;
  const settings: ControllerSettings = { concurrency: { ...DEFAULT_CONCURRENCY, ...o.concurrency }, nodeLifecycle: o.nodeLifecycle, nodeIpam: o.nodeIpam };
  const recorder = new EventRecorder(
    o.client,
    { component: "mk-controller-manager", host: o.identity ?? o.leaderElection?.identity ?? "" },
    { onError: (err) => log.warn({ err }, "event not recorded") },
  );
  const factory = new InformerFactory(o.client, { logger: log });
  const ctx: ControllerContext = { client: o.client, informers: factory, recorder, logger: log, metrics: o.metrics, settings };
  const names = o.controllers ?? (Object.keys(CONTROLLERS) as ControllerName[]);
  // Every controller registers its informers and handlers before the first list, so none misses an event.
  const controllers = names.map((name) => CONTROLLERS[name](ctx));
  return {
    factory,
    async run(signal) {
      log.info({ controllers: names, concurrency: settings.concurrency }, "controllers starting");
      await Promise.all(controllers.map((c) => c.run(signal)));
    },
  };
}
