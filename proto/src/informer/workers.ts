// The sample-controller worker loop: take a key, sync it, forget it on success, requeue it with
// backoff on error; after maxRetries failures in a row drop it (forget it and tell onDrop), as
// Kubernetes' controllers do, so one poison key cannot cycle through the queue forever. NotFound is
// the sync's business (the object is gone: nothing to do, success).
import { errField, type Logger, noopLogger } from "./logger.js";
import type { WorkQueue } from "./workqueue.js";

export type SyncFunc = (key: string, signal: AbortSignal) => Promise<void>;

export interface WorkerOptions {
  /**
   * Retries of one key, after failures in a row, before it is dropped instead of requeued (the next
   * add, e.g. an informer event, brings it back). Default: never dropped (the kubelet's pod workers).
   */
  maxRetries?: number | undefined;
  /** The key was dropped after `failures` failed syncs in a row; err is the last one's. */
  onDrop?: ((key: string, err: unknown, failures: number) => void) | undefined;
  /** A sync ended (not cut short by the abort): how long it took, and whether it threw. */
  onSync?: ((key: string, seconds: number, failed: boolean) => void) | undefined;
}

/**
 * Runs n workers on the queue until the signal aborts (or the queue shuts down and drains), and
 * resolves when all have returned. The queue stays the caller's: shut it down when done with it.
 */
export async function runWorkers(queue: WorkQueue, n: number, sync: SyncFunc, signal: AbortSignal, log: Logger = noopLogger, opts: WorkerOptions = {}): Promise<void> {
  const maxRetries = opts.maxRetries ?? Number.POSITIVE_INFINITY;
  const failed = (key: string, err: unknown): void => {
    // Failures so far, not counting this one: the first failure sees 0 and is requeued.
    const requeues = queue.numRequeues(key);
    if (requeues < maxRetries) {
      log.error({ queue: queue.name, key, requeues, ...errField(err) }, "sync failed; requeued with backoff");
      queue.addRateLimited(key);
      return;
    }
    queue.forget(key);
    log.error({ queue: queue.name, key, failures: requeues + 1, ...errField(err) }, "sync failed too often; key dropped");
    try {
      opts.onDrop?.(key, err, requeues + 1);
    } catch (hookErr) {
      // The hook reports; its failure must not stop the worker.
      log.error({ queue: queue.name, key, ...errField(hookErr) }, "drop hook threw");
    }
  };
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get(signal);
      if (key === undefined) return;
      const start = performance.now();
      let error: { cause: unknown } | undefined;
      try {
        await sync(key, signal);
      } catch (err) {
        error = { cause: err };
      }
      if (error && signal.aborted) {
        // Stopping: the sync was cut short by the abort, not a failure worth a retry.
        queue.done(key);
        return;
      }
      opts.onSync?.(key, (performance.now() - start) / 1000, error !== undefined);
      if (error) failed(key, error.cause);
      else queue.forget(key);
      queue.done(key);
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
}
