// Retries: the transport retries UNAVAILABLE and deadlines (calls with an unknown outcome, made safe
// to repeat in resource.ts) with exponential backoff; callers retry conflicts of
// read-modify-write updates with retryOnConflict, as client-go's RetryOnConflict.
import { ApiError, ConflictError } from "./errors.js";

export interface RetryPolicy {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * 8 attempts, 100 ms doubling to 2 s apart: ~7 s of waiting, enough to ride out an etcd leader
 * election or an API server's death behind the cluster's balancer (ARCHITECTURE.md, --ha).
 */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, initialDelayMs: 100, maxDelayMs: 2_000 };

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Delay before attempt n (0-based) with ±20 % jitter: 100, 200, 400 … capped at maxDelayMs. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** attempt);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Runs fn, retrying while it throws a retryable ApiError (UNAVAILABLE, deadline, 429). */
export async function withRetry<T>(policy: RetryPolicy, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ApiError) || !err.retryable || attempt + 1 >= policy.attempts) throw err;
      await sleep(backoffDelay(policy, attempt));
    }
  }
}

/**
 * Runs a read-modify-write function again whenever it fails with a conflict (a stale
 * resourceVersion): fn must re-read the object each time. Default 20 attempts, 10 ms → 500 ms apart.
 */
export async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 20): Promise<T> {
  const policy: RetryPolicy = { attempts, initialDelayMs: 10, maxDelayMs: 500 };
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt + 1 >= attempts) throw err;
      await sleep(backoffDelay(policy, attempt));
    }
  }
}
