// One controller's life, the same for every controller (sample-controller's Run): wait until the
// informers it reads have synced, start n workers on its queue, shut the queue down when the signal
// aborts, and give up on a key that failed maxRetries times in a row — with a log line, a Warning
// event on the key's object and a metric — instead of requeueing it forever.
import type { ObjectMeta } from "../gen/mk/v1/meta.js";
import type { EventSubject, EventType } from "../client/events.js";
import { waitForCacheSync } from "./informer.js";
import { type Logger, noopLogger } from "./logger.js";
import type { DeepReadonly } from "./store.js";
import { runWorkers, type SyncFunc } from "./workers.js";
import type { WorkQueue } from "./workqueue.js";

/** Kubernetes' controllers give up after 15 retries: with the default limiter ~164 s of failing (5 ms × (2^15 − 1)). */
export const DEFAULT_MAX_RETRIES = 15;
/** The reason of the Warning event recorded when a key is dropped. */
export const DROPPED_REASON = "SyncRetriesExhausted";
/** Kubernetes truncates event messages at 1024 bytes; an error message can be as long as it likes. */
const MAX_EVENT_MESSAGE = 1024;

/** Records events; an EventRecorder fits. */
export interface EventSink {
  event(kind: string, subject: EventSubject, type: EventType, reason: string, message: string): void;
}

/** The per-controller counters the runner feeds; the controller manager's metrics fit. */
export interface RunnerMetrics {
  /** One sync(key) ended: how long it took and whether it failed. */
  syncDone(controller: string, seconds: number, failed: boolean): void;
  /** A key was given up on after maxRetries retries. */
  keyDropped(controller: string): void;
}

/** An object a key names, as the cache holds it (the API server sets kind on every object). */
export interface KeyObject {
  readonly kind: string;
  readonly apiVersion?: string;
  readonly metadata?: DeepReadonly<ObjectMeta> | undefined;
}

export interface ControllerRun {
  /** For logs, metrics and the drop event: "deployment", "replicaset" … */
  name: string;
  queue: WorkQueue;
  /** The informers sync reads: no worker starts before all of them have synced. */
  informers: ReadonlyArray<{ waitForSync(signal?: AbortSignal): Promise<boolean> }>;
  workers: number;
  sync: SyncFunc;
  /** Retries of one key before it is dropped. Default DEFAULT_MAX_RETRIES. */
  maxRetries?: number | undefined;
  /** The object a key names, for the drop event; undefined (gone, or not an object's key): no event. */
  objectFor?: ((key: string) => KeyObject | undefined) | undefined;
  recorder?: EventSink | undefined;
  metrics?: RunnerMetrics | undefined;
  /** Told after the drop was logged, counted and recorded. */
  onDrop?: ((key: string, err: unknown) => void) | undefined;
  /**
   * Runs once the caches have synced, just before the workers start, and beside them: a look at what
   * changed while no controller ran, a periodic pass. It must return when the signal aborts.
   */
  afterSync?: ((signal: AbortSignal) => void | Promise<void>) | undefined;
  logger?: Logger | undefined;
  /** More fields for the "controller started" log line (its settings). */
  details?: Record<string, unknown> | undefined;
}

/** Runs the controller until the signal aborts; resolves once its workers (and afterSync) have returned. */
export async function runController(c: ControllerRun, signal: AbortSignal): Promise<void> {
  const log = c.logger ?? noopLogger;
  if (!(await waitForCacheSync(signal, ...c.informers))) return;
  log.info({ controller: c.name, workers: c.workers, ...c.details }, "controller started");
  const stop = () => c.queue.shutDown();
  signal.addEventListener("abort", stop, { once: true });
  try {
    const beside = c.afterSync?.(signal);
    await Promise.all([
      beside,
      runWorkers(c.queue, c.workers, c.sync, signal, log, {
        maxRetries: c.maxRetries ?? DEFAULT_MAX_RETRIES,
        onSync: c.metrics ? (_key, seconds, failed) => c.metrics?.syncDone(c.name, seconds, failed) : undefined,
        onDrop: (key, err, failures) => dropped(c, key, err, failures),
      }),
    ]);
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

function dropped(c: ControllerRun, key: string, err: unknown, failures: number): void {
  c.metrics?.keyDropped(c.name);
  const obj = c.objectFor?.(key);
  if (obj && c.recorder) {
    const why = err instanceof Error ? err.message : String(err);
    const message = `${c.name} controller gave up on ${key} after ${failures} failed syncs: ${why}`.slice(0, MAX_EVENT_MESSAGE);
    // The recorder only reads the subject: the cached object is passed as it is, not cloned.
    const subject: EventSubject = { apiVersion: obj.apiVersion ?? "", kind: obj.kind, metadata: obj.metadata as ObjectMeta | undefined };
    c.recorder.event(obj.kind, subject, "Warning", DROPPED_REASON, message);
  }
  c.onDrop?.(key, err);
}
