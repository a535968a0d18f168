// A rate-limited work queue of keys, as client-go's workqueue:
//   - a key waiting in the queue is there once, however often it is added (dirty set);
//   - a key being processed is never handed to a second worker: added meanwhile, it is queued
//     again when the first worker calls done(key) (processing set);
//   - addAfter(key, ms) adds later (the earliest of several requests wins); addRateLimited(key)
//     adds after the rate limiter's delay for that key; forget(key) resets its backoff.
import { type Clock, realClock } from "./clock.js";
import { defaultControllerRateLimiter, type RateLimiter } from "./ratelimit.js";

export interface WorkQueueOptions {
  /** For logs and metrics. */
  name?: string;
  /** Default: client-go's controller limiter (per key 5 ms → 1000 s, overall 10 qps, burst 100). */
  rateLimiter?: RateLimiter;
  clock?: Clock;
}

interface Delayed {
  at: number;
  cancel: () => void;
}

export class WorkQueue {
  readonly name: string;
  private readonly limiter: RateLimiter;
  private readonly clock: Clock;
  /** Keys ready for a worker, in order; [head, end) is live (shift without copying). */
  private queue: string[] = [];
  private head = 0;
  /** Keys that need processing: queued, or added again while being processed. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, Delayed>();
  private waiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.name = opts.name ?? "queue";
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter({ clock: this.clock });
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // done(key) queues it again
    this.push(key);
  }

  /** Adds after ms (at once when ms ≤ 0). A key already waiting keeps the earlier of the two times. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const prev = this.delayed.get(key);
    if (prev) {
      if (prev.at <= at) return;
      prev.cancel();
    }
    const cancel = this.clock.setTimer(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, cancel });
  }

  /** Adds after the rate limiter's delay for key: the retry path of a failed sync. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** The key succeeded: its next failure starts the backoff from the beginning. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /**
   * The next key, waiting for one if needed; the caller must call done(key) when finished with it.
   * undefined when the signal aborts, or once the queue is shut down and drained.
   */
  async get(signal?: AbortSignal): Promise<string | undefined> {
    for (;;) {
      if (signal?.aborted) return undefined;
      if (this.head < this.queue.length) {
        const key = this.shift();
        this.processing.add(key);
        this.dirty.delete(key);
        return key;
      }
      if (this.shuttingDown) return undefined;
      await this.wait(signal);
    }
  }

  /** Finished processing key; if it was added meanwhile it goes back in the queue now. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  /** Keys ready for a worker (not those being processed or waiting for a delay). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Stops accepting keys and drops delayed ones; get() drains what is queued, then returns undefined. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private push(key: string): void {
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  private shift(): string {
    const key = this.queue[this.head]!;
    this.head++;
    // Compact once the consumed prefix dominates, keeping shift O(1) amortized.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  private wait(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve();
      };
      this.waiters.push(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
