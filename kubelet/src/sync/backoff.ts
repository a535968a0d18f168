// Restart back-off, as Kubernetes' CrashLoopBackOff (and ImagePullBackOff for pulls): the first
// restart is immediate; each later one waits twice as long as the one before, from 10 s to 300 s.
// A container that had run for 10 minutes before it died starts the sequence afresh.
//
// Worked example, a container that exits at once (restartPolicy Always):
//   t=0    attempt 0 dies → not in back-off → restart now, next wait 10 s
//   t≈0    attempt 1 dies → waits until finishedAt + 10 s (CrashLoopBackOff) → restart, next 20 s
//   t≈10   attempt 2 dies → waits 20 s → restart, next 40 s … 80, 160, then 300 s every time.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A run at least this long resets the sequence. */
  resetAfterMs: number;
}

export const CRASH_LOOP_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

interface Entry {
  /** The wait imposed after the last restart. */
  delayMs: number;
  /** When the last restart was allowed (wall ms). */
  lastMs: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();
  private readonly policy: BackoffPolicy;
  private readonly now: () => number;

  constructor(policy: BackoffPolicy = CRASH_LOOP_BACKOFF, now: () => number = Date.now) {
    this.policy = policy;
    this.now = now;
  }

  /**
   * How long (ms) key must still wait after an event at sinceMs (the container's finish, the failed
   * pull); 0 when it may go now.
   */
  remaining(key: string, sinceMs: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    // Not touched for twice the maximum: the sequence is stale (Kubernetes' hasExpired).
    if (this.now() - e.lastMs > 2 * this.policy.maxMs) {
      this.entries.delete(key);
      return 0;
    }
    return Math.max(0, sinceMs + e.delayMs - this.now());
  }

  /** Records a restart of key now and returns the wait that the next one will face. */
  next(key: string): number {
    const e = this.entries.get(key);
    const delayMs = e ? Math.min(this.policy.maxMs, e.delayMs * 2) : this.policy.initialMs;
    this.entries.set(key, { delayMs, lastMs: this.now() });
    return delayMs;
  }

  /** The wait currently imposed on key (0 when none): for "back-off 20s restarting …" messages. */
  current(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** A container that ran for resetAfterMs before it stopped starts afresh. */
  resetIfRanLong(key: string, ranMs: number): void {
    if (ranMs >= this.policy.resetAfterMs) this.entries.delete(key);
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every key with the prefix (a pod's containers when the pod goes). */
  forgetPrefix(prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
