// The one polling helper every test uses: call a probe until it returns a value or the time is up.
// (Tests once carried six copies, with three argument orders and three timeout messages.)

/**
 * What a probe returns: the awaited value when done; undefined or false while still waiting. A probe
 * may call `why("…")` (which returns undefined) to say what it still waits for; the last reason, or
 * the last error the probe threw, ends up in the timeout message.
 */
export type Probe<T> = (why: (reason: string) => undefined) => T | undefined | false | Promise<T | undefined | false>;

export interface WaitOptions {
  /** The longest pause between two probes. The first come sooner (5 ms, doubling) so quick
   *  in-process conditions cost little; probes that start processes pass something like 250. */
  readonly everyMs?: number;
  /** Stops waiting early (the caller's own deadline). */
  readonly signal?: AbortSignal;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_EVERY_MS = 100;
const FIRST_EVERY_MS = 5;

/** An error that says what was awaited, for how long, and what the probe last saw. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly last: string,
    why: "timed out" | "aborted" = "timed out",
  ) {
    const when = why === "timed out" ? ` after ${timeoutMs / 1000} s` : " (the caller's time is up)";
    super(`${why}${when} waiting for ${what}${last ? `; last: ${last}` : ""}`);
    this.name = "WaitTimeoutError";
  }
}

/**
 * Calls probe until it returns a value other than undefined or false, and returns that value. Fails
 * with a WaitTimeoutError naming `what` after timeoutMs. A probe that throws is retried (the server
 * may not be up yet); its last error is in the timeout message.
 */
export async function eventually<T>(what: string, probe: Probe<T>, timeoutMs = DEFAULT_TIMEOUT_MS, opts: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const maxEvery = opts.everyMs ?? DEFAULT_EVERY_MS;
  let every = Math.min(FIRST_EVERY_MS, maxEvery);
  let last = "";
  const why = (reason: string): undefined => {
    last = reason;
    return undefined;
  };
  for (;;) {
    try {
      const v = await probe(why);
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = `error: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() > deadline) throw new WaitTimeoutError(what, timeoutMs, last);
    if (opts.signal?.aborted) throw new WaitTimeoutError(what, timeoutMs, last, "aborted");
    await sleep(Math.min(every, Math.max(1, deadline - Date.now())));
    every = Math.min(every * 2, maxEvery);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
