// When a CronJob is due (Kubernetes' cronjob controller v2, utils.go): the most recent scheduled time
// not yet started, how many were missed, and how long until the next one. Pure functions of the
// CronJob, the parsed schedule and "now", so the controller's tests run hours of schedule at once.
import type { CronJob, Schedule } from "@mk/proto";
import type { DeepReadonly } from "@mk/proto/informer";

/** Kubernetes' limit: more missed start times than this is reported (TooManyMissedTimes). */
export const MAX_MISSED_START_TIMES = 100;
/** The requeue lands this long after the next scheduled time, so the sync sees it as due. */
export const NEXT_SCHEDULE_DELTA_MS = 100;

export type Missed = "none" | "few" | "many";

export interface RecentSchedule {
  /** Where the search started: the last schedule time, else the creation time (or the deadline's bound). */
  earliest: number;
  /** The latest scheduled time at or before now after `earliest`; undefined when none is due. */
  mostRecent: number | undefined;
  missed: Missed;
}

function parseTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The most recent unmet scheduled time (mostRecentScheduleTime). With `withDeadline`, times older
 * than startingDeadlineSeconds before now are not considered: they can no longer start. Counted
 * exactly: after 100 missed times the walk jumps close to now (by the schedule's interval) and counts
 * on from there, so a CronJob idle for a year costs a few hundred steps, not half a million.
 */
export function mostRecentScheduleTime(cj: DeepReadonly<CronJob>, now: number, sched: Schedule, withDeadline: boolean): RecentSchedule {
  let earliest = parseTime(cj.status?.lastScheduleTime) ?? parseTime(cj.metadata?.creationTimestamp) ?? now;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (withDeadline && deadline !== undefined) {
    // The controller is not going to schedule anything before this point.
    const bound = now - Number(deadline) * 1000;
    if (bound > earliest) earliest = bound;
  }
  let t = sched.next(earliest);
  let mostRecent: number | undefined;
  let count = 0;
  while (t !== undefined && t <= now) {
    mostRecent = t;
    count++;
    const after = sched.next(t);
    if (count === MAX_MISSED_START_TIMES + 1 && after !== undefined && after - t > 0) {
      // Too many to walk one by one: jump to two intervals before now and find the last ones exactly.
      const interval = after - t;
      const jump = now - 2 * interval;
      t = jump > t ? sched.next(jump) : after;
      continue;
    }
    t = after;
  }
  const missed: Missed = count === 0 ? "none" : count > MAX_MISSED_START_TIMES ? "many" : count > 1 ? "few" : "none";
  return { earliest, mostRecent, missed };
}

/** Milliseconds from now until just after the next scheduled time (nextScheduleTimeDuration). */
export function nextScheduleDelayMs(cj: DeepReadonly<CronJob>, now: number, sched: Schedule): number | undefined {
  const { earliest, mostRecent } = mostRecentScheduleTime(cj, now, sched, false);
  const next = sched.next(mostRecent ?? earliest);
  if (next === undefined) return undefined;
  return Math.max(0, next + NEXT_SCHEDULE_DELTA_MS - now);
}
