// The delay before a Job replaces a failed pod, as Kubernetes: 10 s after the first failure, doubled
// for each further one, capped at 6 minutes — 10 s, 20 s, 40 s, 80 s, 160 s, 320 s, then 360 s.

export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 6 * 60_000;

/** The wait after the n-th consecutive failure (n ≥ 1); 0 before any failure. */
export function backoffDelayMs(failures: number, baseMs = BACKOFF_BASE_MS, maxMs = BACKOFF_MAX_MS): number {
  if (failures <= 0) return 0;
  // 2^(n-1) overflows nothing useful past 2^30: the cap is reached long before.
  const exp = Math.min(failures - 1, 30);
  return Math.min(baseMs * 2 ** exp, maxMs);
}

/** What the controller remembers of a Job's failures: how many, and when the last one happened. */
export interface BackoffRecord {
  failures: number;
  lastFailureMs: number;
}

/** How long from `nowMs` until a new pod may start: 0 when the back-off has passed. */
export function remainingBackoffMs(rec: BackoffRecord | undefined, nowMs: number, baseMs = BACKOFF_BASE_MS, maxMs = BACKOFF_MAX_MS): number {
  if (!rec || rec.failures === 0) return 0;
  return Math.max(0, rec.lastFailureMs + backoffDelayMs(rec.failures, baseMs, maxMs) - nowMs);
}
