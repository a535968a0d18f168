// How long the supervisor waits before starting a component again. Two counters, each doubling from
// 1 s to 30 s: one for exits (a crash loop slows down; a component that ran a minute starts afresh)
// and one for failed prepares (a kubelet's join waiting for the API server at `cluster up`). They
// are apart because waiting for a dependency is no crash: with one counter, a kubelet whose join was
// retried six times while the control plane came up had a 30 s back-off before it ever ran, and
// waited 30 s to come back from its first kill (found by the chaos suite, issue 14).
export const FIRST_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 30_000;
/** A component that ran this long before exiting is no crash loop: its next start waits FIRST_DELAY_MS. */
export const STABLE_RUN_MS = 60_000;

export class RestartBackoff {
  private exitDelay = FIRST_DELAY_MS;
  private prepareDelay = FIRST_DELAY_MS;

  /** The component exited after running ranMs: the delay before its next start. */
  afterExit(ranMs: number): number {
    if (ranMs > STABLE_RUN_MS) this.exitDelay = FIRST_DELAY_MS;
    const delay = this.exitDelay;
    this.exitDelay = Math.min(delay * 2, MAX_DELAY_MS);
    return delay;
  }

  /** Its prepare failed: the delay before it is tried again. */
  afterPrepareFailure(): number {
    const delay = this.prepareDelay;
    this.prepareDelay = Math.min(delay * 2, MAX_DELAY_MS);
    return delay;
  }

  /** Its prepare succeeded: what it waited for is there. */
  prepared(): void {
    this.prepareDelay = FIRST_DELAY_MS;
  }

  /** Released after a hold (`mkctl cluster node start`): it starts afresh. */
  reset(): void {
    this.exitDelay = FIRST_DELAY_MS;
    this.prepareDelay = FIRST_DELAY_MS;
  }
}
