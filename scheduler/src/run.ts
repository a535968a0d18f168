// Wires the scheduler to the API: informers for nodes and pods feed it, and with leader election
// only the candidate holding the `mk-scheduler` Lease schedules. The informers run on every replica
// (a warm standby: its cache and queue are full the moment it takes over).
import { type Clientset, EventRecorder } from "@mk/proto/client";
import { type LeaderElectionConfig, newInformer, runWithLeaderElection, waitForCacheSync } from "@mk/proto/informer";
import type { Logger } from "pino";
import { clientApi } from "./api.js";
import type { SchedulerMetrics } from "./metrics.js";
import type { PipelineOptions } from "./pipeline.js";
import { SCHEDULER_NAME, Scheduler } from "./scheduler.js";

export const LEASE_NAME = "mk-scheduler";

export interface RunOptions {
  client: Clientset;
  logger: Logger;
  /** Absent: schedule at once, alone. */
  leaderElection?: LeaderElectionConfig | undefined;
  metrics?: SchedulerMetrics;
  pipeline?: PipelineOptions;
  maxBindsInFlight?: number;
  /** Called with the scheduler once built (tests and benchmarks inspect it). */
  onScheduler?: (s: Scheduler) => void;
  /** Called when this replica starts and stops leading. */
  onLeading?: (leading: boolean) => void;
}

/**
 * Runs until the signal aborts. With leader election, a replica that loses its Lease (a renewal that
 * missed its deadline on an overloaded machine) drops its caches and queue and campaigns again
 * from scratch, as a restarted process would, without needing a supervisor to restart it.
 */
export async function runScheduler(signal: AbortSignal, o: RunOptions): Promise<void> {
  for (let round = 0; !signal.aborted; round++) {
    if (round > 0) o.logger.warn({ round }, "leadership lost; campaigning again with fresh caches");
    await runOnce(signal, o);
    if (!o.leaderElection) return;
  }
}

/** One life of the scheduler: informers, caches and queue, and (with leader election) one term. */
async function runOnce(signal: AbortSignal, o: RunOptions): Promise<void> {
  const log = o.logger;
  const cs = o.client;
  const identity = o.leaderElection?.identity ?? SCHEDULER_NAME;
  const recorder = new EventRecorder(
    cs,
    { component: SCHEDULER_NAME, host: identity },
    { onError: (err) => log.debug({ err: err instanceof Error ? err.message : String(err) }, "event not recorded") },
  );
  const scheduler = new Scheduler({
    api: clientApi(cs, recorder),
    logger: log,
    metrics: o.metrics,
    pipeline: o.pipeline,
    maxBindsInFlight: o.maxBindsInFlight,
  });
  o.onScheduler?.(scheduler);

  const nodes = newInformer(cs.nodes, { logger: log });
  const pods = newInformer(cs.pods, { logger: log });
  nodes.addEventHandler({
    add: (n) => scheduler.onNodeAdd(n),
    update: (a, b) => scheduler.onNodeUpdate(a, b),
    delete: (n) => scheduler.onNodeDelete(n),
  });
  pods.addEventHandler({
    add: (p) => scheduler.onPodAdd(p),
    update: (a, b) => scheduler.onPodUpdate(a, b),
    delete: (p) => scheduler.onPodDelete(p),
  });
  const stopped = new AbortController();
  const onAbort = () => stopped.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  nodes.start(stopped.signal);
  pods.start(stopped.signal);
  try {
    if (!(await waitForCacheSync(stopped.signal, nodes, pods))) return;
    log.info({ nodes: nodes.store.size, pods: pods.store.size }, "caches synced");
    const election = o.leaderElection;
    const run = (leading: AbortSignal) => scheduler.run(leading);
    await runWithLeaderElection({ client: cs, name: LEASE_NAME, election, logger: log, onLeading: o.onLeading, run }, stopped.signal);
  } finally {
    signal.removeEventListener("abort", onAbort);
    stopped.abort();
    await Promise.all([nodes.stop(), pods.stop()]);
  }
}
