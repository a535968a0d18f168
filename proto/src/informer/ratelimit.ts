// Rate limiters for the work queue, as client-go's workqueue: `when(item)` says how long to wait
// before the item may be processed again, `forget(item)` clears its failure history.
//
// The default controller limiter is the slower of two:
//   - per item, exponential: 5 ms, 10 ms, 20 ms … doubling per failure, capped at 1000 s
//     (the 19th failure in a row would be 5 ms × 2^18 = 1311 s, so from there it waits 1000 s);
//   - overall, a token bucket of 10 qps with a burst of 100: 100 requeues pass at once, the 101st
//     waits 100 ms, the 102nd 200 ms … so a storm of failures cannot hammer the API server.
import { type Clock, realClock } from "./clock.js";

export interface RateLimiter {
  /** Delay (ms) before the item may be retried; counts as one more failure. */
  when(item: string): number;
  /** Stops tracking the item (it succeeded). */
  forget(item: string): void;
  /** Failures since the last forget. */
  numRequeues(item: string): number;
}

/** base × 2^failures, capped at max. */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();
  readonly baseMs: number;
  readonly maxMs: number;

  constructor(baseMs = 5, maxMs = 1_000_000) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(item: string): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    // 2 ** n is Infinity past n = 1023; Math.min keeps the cap either way.
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  forget(item: string): void {
    this.failures.delete(item);
  }

  numRequeues(item: string): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * A token bucket with reservations: each call takes a token, going into debt when none is left, and
 * waits until the debt is paid at qps. Refills continuously up to burst.
 */
export class BucketRateLimiter implements RateLimiter {
  readonly qps: number;
  readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(qps = 10, burst = 100, clock: Clock = realClock) {
    this.qps = qps;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_item: string): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  forget(_item: string): void {}

  numRequeues(_item: string): number {
    return 0;
  }
}

/** The longest delay of several limiters. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(item: string): number {
    let d = 0;
    for (const l of this.limiters) d = Math.max(d, l.when(item));
    return d;
  }

  forget(item: string): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: string): number {
    let n = 0;
    for (const l of this.limiters) n = Math.max(n, l.numRequeues(item));
    return n;
  }
}

export interface ControllerRateLimiterOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  qps?: number;
  burst?: number;
  clock?: Clock;
}

/** client-go's DefaultControllerRateLimiter: max(per-item 5 ms → 1000 s, bucket 10 qps / 100 burst). */
export function defaultControllerRateLimiter(opts: ControllerRateLimiterOptions = {}): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialRateLimiter(opts.baseDelayMs ?? 5, opts.maxDelayMs ?? 1_000_000),
    new BucketRateLimiter(opts.qps ?? 10, opts.burst ?? 100, opts.clock ?? realClock),
  );
}
