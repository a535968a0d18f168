// Cron schedules as Kubernetes reads them (robfig/cron's ParseStandard) and the CronJob controller's
// arithmetic of due times: fields, ranges, steps, names, descriptors, @every, day-of-month OR
// day-of-week, time zones across DST, robfig's error wording; the most recent missed time, the
// "too many missed" count over 100, the starting deadline, the delay to the next run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CronJob, emptyMeta, parseSchedule, ScheduleError } from "@mk/proto";
import { mostRecentScheduleTime, nextScheduleDelayMs } from "@mk/controller/cronjob/schedule.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? "none" : new Date(ms).toISOString());

test("next activation: steps, ranges, names, descriptors, dom OR dow, impossible dates", () => {
  const cases: [string, string, string][] = [
    ["*/15 * * * *", "2026-12-04T10:07:30Z", "2026-12-04T10:15:00.000Z"],
    ["*/15 * * * *", "2026-12-04T10:15:00Z", "2026-12-04T10:30:00.000Z"],
    ["5 * * * *", "2026-12-04T10:07:00Z", "2026-12-04T11:05:00.000Z"],
    ["0 9 * * MON-FRI", "2026-12-05T12:00:00Z", "2026-12-07T09:00:00.000Z"],
    ["0 0 1 jan,jul *", "2026-02-01T00:00:00Z", "2026-07-01T00:00:00.000Z"],
    ["30 2 * * 0", "2026-12-04T00:00:00Z", "2026-12-06T02:30:00.000Z"],
    ["10/20 * * * *", "2026-12-04T10:31:00Z", "2026-12-04T10:50:00.000Z"],
    ["0 12 13 * 5", "2026-12-04T13:00:00Z", "2026-12-11T12:00:00.000Z"], // Friday the 11th: day-of-week ORs
    ["@hourly", "2026-12-04T10:07:00Z", "2026-12-04T11:00:00.000Z"],
    ["@daily", "2026-12-04T10:07:00Z", "2026-12-05T00:00:00.000Z"],
    ["@weekly", "2026-12-04T10:07:00Z", "2026-12-06T00:00:00.000Z"],
    ["@monthly", "2026-12-04T10:07:00Z", "2027-01-01T00:00:00.000Z"],
    ["@yearly", "2026-12-04T10:07:00Z", "2027-01-01T00:00:00.000Z"],
    ["@every 90m", "2026-12-04T10:07:30.500Z", "2026-12-04T11:37:30.000Z"],
    ["0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00.000Z"],
  ];
  for (const [spec, from, want] of cases) assert.equal(iso(parseSchedule(spec).next(at(from))), want, spec);
  assert.equal(parseSchedule("0 0 31 2 *").next(at("2026-01-01T00:00:00Z")), undefined, "February 31st never comes");
});

test("time zones: 09:00 in Europe/Paris is 08:00Z in winter and 07:00Z in summer", () => {
  const s = parseSchedule("0 9 * * *", "Europe/Paris");
  assert.equal(iso(s.next(at("2026-01-10T12:00:00Z"))), "2026-01-11T08:00:00.000Z");
  assert.equal(iso(s.next(at("2026-07-10T12:00:00Z"))), "2026-07-11T07:00:00.000Z");
  // Across the spring change (29 March 2026): hourly runs keep to the wall clock.
  const h = parseSchedule("30 * * * *", "Europe/Paris");
  assert.equal(iso(h.next(at("2026-03-29T00:45:00Z"))), "2026-03-29T01:30:00.000Z");
  assert.equal(iso(parseSchedule("0 9 * * *", "America/New_York").next(at("2026-12-04T00:00:00Z"))), "2026-12-04T14:00:00.000Z");
});

test("bad schedules are refused with robfig's reason", () => {
  const cases: [string, RegExp][] = [
    ["61 * * * *", /^end of range \(61\) above maximum \(59\): 61$/],
    ["* 24 * * *", /end of range \(24\) above maximum \(23\)/],
    ["* * 0 * *", /beginning of range \(0\) below minimum \(1\)/],
    ["5-1 * * * *", /beginning of range \(5\) beyond end of range \(1\)/],
    ["* * * *", /expected exactly 5 fields, found 4/],
    ["* * * * * *", /expected exactly 5 fields, found 6/],
    ["*/0 * * * *", /step of range should be a positive number/],
    ["x * * * *", /failed to parse int from x/],
    ["@fortnightly", /unrecognized descriptor/],
    ["@every 1y", /failed to parse duration/],
    ["TZ=UTC * * * * *", /use timeZone/],
    ["", /empty spec string/],
  ];
  for (const [spec, want] of cases) assert.throws(() => parseSchedule(spec), (e: unknown) => e instanceof ScheduleError && want.test(e.message), spec);
});

const cron = (created: string, spec: Partial<CronJob["spec"]> & object = {}, lastScheduleTime = "") =>
  CronJob.fromPartial({ metadata: emptyMeta({ name: "c", namespace: "default", creationTimestamp: created }), spec: { schedule: "*/10 * * * *", ...spec }, status: { lastScheduleTime } });

test("due times: the most recent unmet one, missed counts, the deadline, the next delay", () => {
  const s = parseSchedule("*/10 * * * *");
  const created = "2026-12-04T10:01:00Z";
  assert.deepEqual(mostRecentScheduleTime(cron(created), at("2026-12-04T10:05:00Z"), s, true), { earliest: at(created), mostRecent: undefined, missed: "none" });
  assert.equal(iso(mostRecentScheduleTime(cron(created), at("2026-12-04T10:10:00Z"), s, true).mostRecent), "2026-12-04T10:10:00.000Z");
  const few = mostRecentScheduleTime(cron(created), at("2026-12-04T10:45:00Z"), s, true);
  assert.equal(iso(few.mostRecent), "2026-12-04T10:40:00.000Z");
  assert.equal(few.missed, "few");
  // Two days at every 10 minutes: 288 missed, more than 100; the most recent is still exact.
  const many = mostRecentScheduleTime(cron(created), at("2026-12-06T10:45:00Z"), s, true);
  assert.equal(many.missed, "many");
  assert.equal(iso(many.mostRecent), "2026-12-06T10:40:00.000Z");
  // With a 6-minute starting deadline, nothing before 10:39 counts: one missed time at most.
  const bounded = mostRecentScheduleTime(cron(created, { startingDeadlineSeconds: 360 }), at("2026-12-06T10:45:00Z"), s, true);
  assert.equal(bounded.missed, "none");
  assert.equal(iso(bounded.mostRecent), "2026-12-06T10:40:00.000Z");
  // After the 10:40 run, the next one is 10:50 (+100 ms).
  assert.equal(nextScheduleDelayMs(cron(created, {}, "2026-12-06T10:40:00Z"), at("2026-12-06T10:45:00Z"), s), 5 * 60_000 + 100);
});
