// The preStop hook within the grace period, as Kubernetes' killContainer: the hook runs first, for at
// most the grace period; the time it took (whole seconds) is taken from the grace period, and the
// container still gets at least 2 s between its stop signal and SIGKILL (minimumGracePeriodInSeconds).
// A hook that fails is reported and the stop goes on; one still running when the grace period is over
// is left behind (cancelled) and the stop goes on.
import type { LifecycleHandler } from "@mk/proto";
import { type HookResult, type HookTarget, runHook } from "./hooks.js";

/** Kubernetes' minimumGracePeriodInSeconds. */
export const MINIMUM_GRACE_SECONDS = 2;

export interface PreStopOutcome {
  /** Seconds left for the stop signal → SIGKILL. */
  remainingSeconds: number;
  /** The hook's result; undefined when the grace period ran out first. */
  result: HookResult | undefined;
}

export async function runPreStop(h: LifecycleHandler, t: HookTarget, graceSeconds: number, now: () => number = Date.now): Promise<PreStopOutcome> {
  const start = now();
  const deadline = AbortSignal.timeout(Math.max(0, graceSeconds) * 1000);
  const result = await runHook(h, t, deadline);
  const elapsedSeconds = Math.floor((now() - start) / 1000);
  return {
    remainingSeconds: Math.max(MINIMUM_GRACE_SECONDS, graceSeconds - elapsedSeconds),
    result: result.ok || !deadline.aborted ? result : undefined,
  };
}
