// The sample-controller worker loop: take a key, sync it, forget it on success, requeue it with
// backoff on error. NotFound is the sync's business (the object is gone: nothing to do, success).
import { errField, type Logger, noopLogger } from "./logger.js";
import type { WorkQueue } from "./workqueue.js";

export type SyncFunc = (key: string, signal: AbortSignal) => Promise<void>;

/**
 * Runs n workers on the queue until the signal aborts (or the queue shuts down and drains), and
 * resolves when all have returned. The queue stays the caller's: shut it down when done with it.
 */
export async function runWorkers(queue: WorkQueue, n: number, sync: SyncFunc, signal: AbortSignal, log: Logger = noopLogger): Promise<void> {
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get(signal);
      if (key === undefined) return;
      try {
        await sync(key, signal);
        queue.forget(key);
      } catch (err) {
        if (signal.aborted) {
          // Stopping: the sync was cut short by the abort, not a failure worth a retry.
          queue.done(key);
          return;
        }
        const requeues = queue.numRequeues(key);
        log.error({ queue: queue.name, key, requeues, ...errField(err) }, "sync failed; requeued with backoff");
        queue.addRateLimited(key);
      }
      queue.done(key);
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
}
