// The scheduler loop: informer events feed the cache and the queue; scheduleOne pops a pod, runs the
// pipeline, and either assumes the pod on the chosen node and binds it in the background, or reports
// why it fits nowhere and parks it until the cluster changes.
import type { Node, Pod } from "@mk/proto";
import { BadRequestError, NotFoundError } from "@mk/proto/client";
import { type Clock, type DeepReadonly, objectKey, realClock } from "@mk/proto/informer";
import type { Logger } from "pino";
import type { SchedulerApi } from "./api.js";
import { isTerminal, SchedulerCache } from "./cache/cache.js";
import type { SchedulerMetrics } from "./metrics.js";
import { DEFAULT_PIPELINE, type PipelineOptions, schedulePod } from "./pipeline.js";
import { TokenBucket } from "./token-bucket.js";
import { type QueuedPodInfo, SchedulingQueue, type SchedulingQueueOptions } from "./queue/scheduling-queue.js";

export const SCHEDULER_NAME = "mk-scheduler";
const YIELD_EVERY_MS = 5;
/** Pods naming no scheduler, or Kubernetes' default one, are ours too. */
const OUR_NAMES = new Set(["", SCHEDULER_NAME, "default-scheduler"]);

export interface SchedulerOptions {
  api: SchedulerApi;
  logger: Logger;
  clock?: Clock;
  pipeline?: PipelineOptions;
  queue?: Omit<SchedulingQueueOptions, "clock">;
  /** Bind calls in flight at once; scheduling waits for a free slot. Default 64: more only deepens the API server's queue, where Lease renewals would wait behind Binds. */
  maxBindsInFlight?: number;
  metrics?: SchedulerMetrics;
  /** Scheduled events written per second at most (burst twice that); the rest are shed. Default 100. */
  scheduledEventsPerSecond?: number;
}

export class Scheduler {
  readonly queue: SchedulingQueue;
  readonly cache: SchedulerCache;
  private readonly api: SchedulerApi;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly pipeline: PipelineOptions;
  private readonly maxBinds: number;
  private readonly metrics: SchedulerMetrics | undefined;
  private readonly work = new Set<Promise<void>>();
  private binds = 0;
  private bindSlotWaiters: Array<() => void> = [];
  private startIndex = 0;
  private readonly scheduledEvents: TokenBucket;

  constructor(opts: SchedulerOptions) {
    this.api = opts.api;
    this.log = opts.logger;
    this.clock = opts.clock ?? realClock;
    this.pipeline = opts.pipeline ?? DEFAULT_PIPELINE;
    this.maxBinds = opts.maxBindsInFlight ?? 64;
    this.metrics = opts.metrics;
    this.queue = new SchedulingQueue({ ...opts.queue, clock: this.clock });
    this.cache = new SchedulerCache({ clock: this.clock });
    const eps = opts.scheduledEventsPerSecond ?? 100;
    this.scheduledEvents = new TokenBucket(eps, eps * 2, this.clock);
  }

  // ---- informer handlers: they only update the cache and the queue, never call the API.

  onPodAdd(pod: DeepReadonly<Pod>): void {
    if (pod.spec?.nodeName) {
      this.cache.setAssignedPod(pod);
      this.queue.delete(objectKey(pod));
    } else if (this.ours(pod)) {
      this.queue.add(pod);
    }
  }

  onPodUpdate(oldPod: DeepReadonly<Pod>, pod: DeepReadonly<Pod>): void {
    const key = objectKey(pod);
    if (pod.spec?.nodeName) {
      this.cache.setAssignedPod(pod);
      this.queue.delete(key);
      // A pod that finished gave its resources back: pods waiting for room may fit now.
      if (!isTerminal(oldPod) && isTerminal(pod)) this.queue.moveAllToActiveOrBackoff();
    } else if (this.ours(pod)) {
      this.queue.update(pod);
    } else {
      this.queue.delete(key);
    }
  }

  onPodDelete(pod: DeepReadonly<Pod>): void {
    const key = objectKey(pod);
    this.queue.delete(key);
    if (this.cache.removePod(key)) this.queue.moveAllToActiveOrBackoff();
  }

  onNodeAdd(node: DeepReadonly<Node>): void {
    this.cache.setNode(node);
    this.queue.moveAllToActiveOrBackoff();
  }

  onNodeUpdate(oldNode: DeepReadonly<Node>, node: DeepReadonly<Node>): void {
    this.cache.setNode(node);
    // Heartbeats change nothing a filter reads: retrying every waiting pod on each would be wasted work.
    if (schedulingPropertiesChanged(oldNode, node)) this.queue.moveAllToActiveOrBackoff();
  }

  onNodeDelete(node: DeepReadonly<Node>): void {
    this.cache.removeNode(node.metadata?.name ?? "");
  }

  // ---- the loop

  /** Schedules until the signal aborts, then waits for the binds and status writes under way. */
  async run(signal: AbortSignal): Promise<void> {
    const stopCleanup = this.every(1_000, () => {
      for (const key of this.cache.cleanupExpired()) this.log.warn({ pod: key }, "assumed pod expired before its binding was seen");
      this.updateQueueMetrics();
    });
    try {
      let lastYield = this.clock.now();
      while (!signal.aborted) {
        await this.scheduleOne(signal);
        // scheduleOne resolves without touching I/O while the active queue is full: yield now and
        // then, or the informers' events and the Binds' answers would wait behind the whole queue.
        if (this.clock.now() - lastYield >= YIELD_EVERY_MS) {
          await new Promise((r) => setImmediate(r));
          lastYield = this.clock.now();
        }
      }
    } finally {
      stopCleanup();
      this.queue.close();
      await Promise.allSettled([...this.work]);
    }
  }

  /** One attempt for the next pod in the queue. */
  async scheduleOne(signal: AbortSignal): Promise<void> {
    const qpi = await this.queue.pop(signal);
    if (!qpi) return;
    const cycle = this.queue.cycle;
    const { podInfo } = qpi;
    const pod = podInfo.pod;
    // Bound or assumed already (a stale queue entry): nothing to do.
    if (this.cache.nodeOf(podInfo.key) !== undefined) {
      this.queue.done(podInfo.key);
      return;
    }

    const t0 = this.clock.now();
    const { result, nextStartIndex } = schedulePod(pod, this.cache.nodeList(), this.pipeline, this.startIndex, podInfo);
    this.startIndex = nextStartIndex;
    const d = result.decisions;
    this.metrics?.attemptDuration.observe({ result: result.kind }, (this.clock.now() - t0) / 1000);

    if (result.kind === "Unschedulable") {
      this.metrics?.attempts.inc({ result: "unschedulable" });
      this.log.info(
        { pod: podInfo.key, attempts: qpi.attempts, message: result.message, evaluated: d.nodesEvaluated },
        "pod is unschedulable",
      );
      this.queue.addUnschedulable(qpi, cycle);
      this.track(this.reportUnschedulable(pod, result.message, signal));
      return;
    }

    // Assume at once: the next pod, scheduled while this Bind is in flight, sees the room it takes.
    this.cache.assume(podInfo, result.nodeName);
    this.log.debug(
      { pod: podInfo.key, node: result.nodeName, evaluated: d.nodesEvaluated, feasible: d.nodesFeasible, top: d.topScores },
      "pod assumed",
    );
    await this.bindSlot(signal);
    if (signal.aborted) {
      // Stopping (or no longer leading) while waiting for a slot: leave this pod to the next leader.
      this.cache.forget(podInfo.key);
      return;
    }
    // Not cancelled on shutdown: run() waits for the Binds under way, each bounded by its deadline.
    this.track(this.bind(qpi, result.nodeName));
  }

  private async bind(qpi: QueuedPodInfo, nodeName: string): Promise<void> {
    const { key, pod } = qpi.podInfo;
    this.binds++;
    this.metrics?.bindsInFlight.set(this.binds);
    try {
      await this.api.bind(pod, nodeName);
      this.cache.finishBinding(key);
      this.queue.done(key);
      this.metrics?.attempts.inc({ result: "scheduled" });
      this.metrics?.e2eLatency.observe((this.clock.now() - qpi.firstSeen) / 1000);
      // Events are best effort and cost the API a write each, as much as the Bind itself: Scheduled
      // events are capped (default 100/s), so 10 000 pending pods bind at the API's rate instead of
      // sharing it with 10 000 event writes. FailedScheduling warnings are not capped.
      if (this.scheduledEvents.take()) this.api.event(pod, "Normal", "Scheduled", `Successfully assigned ${key} to ${nodeName}`);
      else this.metrics?.eventsShed.inc();
    } catch (err) {
      this.cache.forget(key);
      // The room it held is free again: pods waiting for it may fit.
      this.queue.moveAllToActiveOrBackoff();
      if (err instanceof NotFoundError || err instanceof BadRequestError) {
        // Deleted, or bound by someone else (another scheduler, a pod created with nodeName): the
        // informer brings the truth; nothing to retry.
        this.log.info({ pod: key, node: nodeName, reason: err.name, err: err.message }, "pod dropped: deleted or already bound");
        this.queue.done(key);
        return;
      }
      this.metrics?.attempts.inc({ result: "error" });
      this.log.warn({ pod: key, node: nodeName, err: err instanceof Error ? err.message : String(err) }, "bind failed; retrying after backoff");
      this.queue.requeueWithBackoff(qpi);
    } finally {
      this.binds--;
      this.metrics?.bindsInFlight.set(this.binds);
      this.bindSlotWaiters.shift()?.();
    }
  }

  private async reportUnschedulable(pod: DeepReadonly<Pod>, message: string, signal: AbortSignal): Promise<void> {
    this.api.event(pod, "Warning", "FailedScheduling", message);
    try {
      await this.api.markUnschedulable(pod, message, signal);
    } catch (err) {
      // Deleted meanwhile: nothing to report on. Anything else: the next attempt writes it again.
      if (err instanceof NotFoundError || signal.aborted) return;
      this.log.warn({ pod: objectKey(pod), err: err instanceof Error ? err.message : String(err) }, "could not set PodScheduled=False");
    }
  }

  private async bindSlot(signal: AbortSignal): Promise<void> {
    while (this.binds >= this.maxBinds && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener("abort", onAbort, { once: true });
        this.bindSlotWaiters.push(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
  }

  private track(p: Promise<void>): void {
    this.work.add(p);
    void p.finally(() => this.work.delete(p));
  }

  private every(ms: number, fn: () => void): () => void {
    let stopped = false;
    let cancel: () => void = () => {};
    const loop = () => {
      if (stopped) return;
      fn();
      cancel = this.clock.setTimer(loop, ms);
    };
    cancel = this.clock.setTimer(loop, ms);
    return () => {
      stopped = true;
      cancel();
    };
  }

  private updateQueueMetrics(): void {
    if (!this.metrics) return;
    const s = this.queue.stats;
    this.metrics.pending.set({ queue: "active" }, s.active);
    this.metrics.pending.set({ queue: "backoff" }, s.backoff);
    this.metrics.pending.set({ queue: "unschedulable" }, s.unschedulable);
  }

  private ours(pod: DeepReadonly<Pod>): boolean {
    if (pod.metadata?.deletionTimestamp || isTerminal(pod)) return false;
    return OUR_NAMES.has(pod.spec?.schedulerName ?? "");
  }
}

/** Whether a node changed in a way a filter or score could notice (not just a heartbeat). */
export function schedulingPropertiesChanged(a: DeepReadonly<Node>, b: DeepReadonly<Node>): boolean {
  const ready = (n: DeepReadonly<Node>) => n.status?.conditions.find((c) => c.type === "Ready")?.status ?? "";
  return (
    (a.spec?.unschedulable ?? false) !== (b.spec?.unschedulable ?? false) ||
    ready(a) !== ready(b) ||
    JSON.stringify(a.spec?.taints ?? []) !== JSON.stringify(b.spec?.taints ?? []) ||
    JSON.stringify(a.metadata?.labels ?? {}) !== JSON.stringify(b.metadata?.labels ?? {}) ||
    JSON.stringify(a.status?.allocatable ?? {}) !== JSON.stringify(b.status?.allocatable ?? {})
  );
}
