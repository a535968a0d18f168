// The CronJob controller on a fake clock against a real API server, with the Job controller, the
// garbage collector and the fake kubelet: hours of schedule in seconds. Allow with history limits
// (the oldest finished Jobs go), Forbid skips a run while one is active (an event says why), Replace
// deletes the running Job for the new one, a long outage is caught up once (too many missed times
// reported), a run past startingDeadlineSeconds is skipped; deleting the CronJob deletes its Jobs and
// their pods, and --cascade=orphan keeps them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { cronJobJobName, CronJob, emptyMeta, type CronJobSpec, type Job } from "@mk/proto";
import { type Clock, ManualClock } from "@mk/proto/informer";
import { type ControllerEnv, startEnv } from "./env.js";
import { exitFromLabel, job as jobOf } from "./jobs.js";
import { eventually } from "../../harness/wait.js";

/**
 * A fake clock started afresh at the real time by each test (the API server stamps creation times
 * with the real clock: a CronJob must not be created in the fake clock's past, or its first sync
 * would already find runs due). Timers of an earlier test's clock are dropped with it.
 */
class TestClock implements Clock {
  private inner = new ManualClock(Date.now());
  restart(): void {
    this.inner = new ManualClock(Date.now());
  }
  now(): number {
    return this.inner.now();
  }
  setTimer(fn: () => void, ms: number): () => void {
    return this.inner.setTimer(fn, ms);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.inner.sleep(ms, signal);
  }
  advance(ms: number): void {
    this.inner.advance(ms);
  }
}

let env: ControllerEnv;
const clock = new TestClock();
const MIN = 60_000;
const HOUR = 60 * MIN;

before(async () => {
  env = await startEnv({ controllers: ["job", "cronjob", "gc"], nodes: 2, runMs: 200, exitCodeFor: exitFromLabel, cronJobClock: clock });
});
after(async () => {
  await env?.stop();
});

/** A CronJob whose pods exit with `exit` (undefined: they run until deleted). */
async function createCronJob(name: string, spec: Partial<CronJobSpec>, exit?: number): Promise<CronJob> {
  clock.restart();
  const template = jobOf(name, {}, exit ?? 0).spec;
  if (exit === undefined && template?.template?.metadata) template.template.metadata.labels = { app: name };
  const cj = CronJob.fromPartial({
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: emptyMeta({ name, namespace: "default" }),
    spec: { schedule: "0 * * * *", ...spec, jobTemplate: { metadata: emptyMeta(), spec: template } },
  });
  return await env.client.resource("CronJob").create(cj);
}

/** Moves the fake clock to `ms` (never back). */
function advanceTo(ms: number): void {
  clock.advance(Math.max(0, ms - clock.now()));
}

/** The first multiple of `period` after t. */
const slotAfter = (t: number, period: number) => Math.floor(t / period) * period + period;
const createdAt = (cj: CronJob) => Date.parse(cj.metadata?.creationTimestamp ?? "");

async function jobsOf(cj: string): Promise<Job[]> {
  const all = (await env.client.resource("Job").list({ namespace: "default" })).items;
  return all.filter((j) => j.metadata?.ownerReferences.some((r) => r.kind === "CronJob" && r.name === cj)).sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
}

const names = (jobs: Job[]) => jobs.map((j) => j.metadata?.name ?? "");
const complete = (j: Job | undefined) => j?.status?.conditions.some((c) => c.type === "Complete" && c.status === "True") === true;

async function eventReasons(cj: string): Promise<string[]> {
  return (await env.client.events.list({ namespace: "default" })).items.filter((e) => e.involvedObject?.kind === "CronJob" && e.involvedObject.name === cj).map((e) => e.reason);
}

test("Allow: a Job each hour, named for its time; the history limit keeps the last 2; deleting the CronJob deletes its Jobs and pods", async () => {
  const cj = await createCronJob("hourly", { successfulJobsHistoryLimit: 2 }, 0);
  const slots = [1, 2, 3, 4].map((i) => slotAfter(createdAt(cj), HOUR) + (i - 1) * HOUR);
  for (const slot of slots) {
    advanceTo(slot + 1_000);
    const want = cronJobJobName("hourly", slot);
    await eventually(`${want} complete`, async () => complete((await jobsOf("hourly")).find((j) => j.metadata?.name === want)), 30_000);
  }
  await eventually(
    "only the last two finished Jobs kept",
    async () => {
      const left = names(await jobsOf("hourly"));
      return left.length === 2 ? left : undefined;
    },
    30_000,
  );
  assert.deepEqual(names(await jobsOf("hourly")), slots.slice(2).map((s) => cronJobJobName("hourly", s)));
  const status = (await env.client.resource("CronJob").get("hourly", "default")).status;
  assert.equal(status?.lastScheduleTime, new Date(slots[3] ?? 0).toISOString().replace(".000Z", "Z"));
  assert.ok(status?.lastSuccessfulTime, "lastSuccessfulTime set");
  assert.deepEqual(status?.active, []);
  const created = (await eventReasons("hourly")).filter((r) => r === "SuccessfulCreate").length;
  assert.equal(created, 4, "one Job per hour, no more");

  await env.client.resource("CronJob").delete("hourly", "default");
  await eventually("its Jobs and their pods gone", async () => (await jobsOf("hourly")).length === 0 && (await env.client.pods.list({ namespace: "default", labelSelector: "app=hourly" })).items.length === 0, 30_000);
});

test("Forbid: the next run is skipped while one is active, with an event saying why", async () => {
  const cj = await createCronJob("forbid", { schedule: "*/30 * * * *", concurrencyPolicy: "Forbid" });
  const first = slotAfter(createdAt(cj), 30 * MIN);
  advanceTo(first + 1_000);
  await eventually("the first Job active", async () => ((await env.client.resource("CronJob").get("forbid", "default")).status?.active.length === 1 ? true : undefined), 30_000);
  advanceTo(first + 30 * MIN + 1_000);
  await eventually("JobAlreadyActive", async () => (await eventReasons("forbid")).includes("JobAlreadyActive"), 30_000);
  advanceTo(first + 60 * MIN + 1_000);
  await sleep(1_000);
  assert.deepEqual(names(await jobsOf("forbid")), [cronJobJobName("forbid", first)], "never a second Job while the first runs");
  const events = (await env.client.events.list({ namespace: "default" })).items.filter((e) => e.reason === "JobAlreadyActive" && e.involvedObject?.name === "forbid");
  assert.match(events[0]?.message ?? "", /Not starting job because prior execution is running and concurrency policy is Forbid/);
  await env.client.resource("CronJob").delete("forbid", "default");
});

test("Replace: the running Job is deleted for the new one; --cascade=orphan keeps the Jobs", async () => {
  const cj = await createCronJob("replace", { schedule: "*/30 * * * *", concurrencyPolicy: "Replace" });
  const first = slotAfter(createdAt(cj), 30 * MIN);
  advanceTo(first + 1_000);
  await eventually("the first Job", async () => (await jobsOf("replace")).length === 1, 30_000);
  advanceTo(first + 30 * MIN + 1_000);
  const second = cronJobJobName("replace", first + 30 * MIN);
  await eventually(
    "the second Job replaced the first",
    async () => {
      const js = names(await jobsOf("replace"));
      return js.length === 1 && js[0] === second ? true : undefined;
    },
    30_000,
  );
  await eventually(
    "the CronJob's active list names the new Job only",
    async () => ((await env.client.resource("CronJob").get("replace", "default")).status?.active.map((r) => r.name).join() === second ? true : undefined),
    30_000,
  );
  assert.ok((await eventReasons("replace")).includes("SuccessfulDelete"), "the replaced Job's deletion reported");

  await env.client.resource("CronJob").delete("replace", "default", { propagationPolicy: "Orphan" });
  await eventually(
    "the CronJob gone, its Job kept without an owner",
    async () => {
      const left = (await env.client.resource("Job").list({ namespace: "default" })).items.find((j) => j.metadata?.name === second);
      const gone = await env.client.resource("CronJob").get("replace", "default").then(
        () => false,
        () => true,
      );
      return gone && left && left.metadata?.ownerReferences.length === 0 ? true : undefined;
    },
    30_000,
  );
  await sleep(1_000);
  assert.ok((await env.client.resource("Job").list({ namespace: "default" })).items.some((j) => j.metadata?.name === second), "the orphaned Job stays");
});

test("missed runs: a run past its starting deadline is skipped; 20 hours down is caught up once (too many missed times reported)", async () => {
  const late = await createCronJob("late", { schedule: "0 * * * *", startingDeadlineSeconds: 60 }, 0);
  // The controller sees the CronJob (and sets its timer) before the clock jumps.
  await sleep(1_000);
  // The first run is due at lateSlot; the controller only looks 5 minutes after it: past the
  // 60 s deadline, that run is skipped (silently, as Kubernetes); the next one, on time, starts.
  const lateSlot = slotAfter(createdAt(late), HOUR);
  advanceTo(lateSlot + 5 * MIN);
  await sleep(1_500);
  assert.deepEqual(await jobsOf("late"), [], "no Job started past its deadline");
  advanceTo(lateSlot + HOUR + 10_000);
  await eventually("the next run, within its deadline, starts", async () => names(await jobsOf("late")).join() === cronJobJobName("late", lateSlot + HOUR), 30_000);
  await env.client.resource("CronJob").delete("late", "default");

  const catchup = await createCronJob("catchup", { schedule: "*/10 * * * *", successfulJobsHistoryLimit: 10 }, 0);
  await sleep(1_000);
  const until = Math.max(createdAt(catchup), clock.now()) + 20 * HOUR;
  advanceTo(until);
  const mostRecent = Math.floor(until / (10 * MIN)) * 10 * MIN;
  await eventually("one Job, for the most recent missed time", async () => names(await jobsOf("catchup")).includes(cronJobJobName("catchup", mostRecent)), 30_000);
  await sleep(1_500);
  assert.deepEqual(names(await jobsOf("catchup")), [cronJobJobName("catchup", mostRecent)], "caught up once, not 120 times");
  assert.ok((await eventReasons("catchup")).includes("TooManyMissedTimes"), "over 100 missed start times reported");
  await env.client.resource("CronJob").delete("catchup", "default");
});
