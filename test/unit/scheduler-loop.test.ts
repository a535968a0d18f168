// The scheduler loop against a fake API: assume-then-bind, failures, the unschedulable report, and
// scheduling as soon as room appears. (Against a real API server: test/integration/scheduler/.)
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "@mk/proto";
import { BadRequestError, NotFoundError, UnavailableError } from "@mk/proto/client";
import type { DeepReadonly } from "@mk/proto/informer";
import type { SchedulerApi } from "@mk/scheduler/api";
import { Scheduler } from "@mk/scheduler/scheduler";
import { pino } from "pino";
import { makeNode, makePod } from "../integration/scheduler/fixtures.js";

class FakeApi implements SchedulerApi {
  binds: Array<[string, string]> = [];
  unschedulable = new Map<string, string>();
  events: string[] = [];
  failNext: Error[] = [];
  gate: Promise<void> = Promise.resolve();
  async bind(pod: DeepReadonly<Pod>, node: string): Promise<void> {
    await this.gate;
    const err = this.failNext.shift();
    if (err) throw err;
    this.binds.push([pod.metadata?.name ?? "", node]);
  }
  async markUnschedulable(pod: DeepReadonly<Pod>, message: string): Promise<void> {
    this.unschedulable.set(pod.metadata?.name ?? "", message);
  }
  event(pod: DeepReadonly<Pod>, type: string, reason: string, message: string): void {
    this.events.push(`${type} ${reason} ${pod.metadata?.name}: ${message}`);
  }
}

const quiet = pino({ level: "silent" });

async function drain(s: Scheduler, ac: AbortController): Promise<void> {
  // Schedules whatever is active now, then lets the binds finish.
  while (s.queue.stats.active > 0) await s.scheduleOne(ac.signal);
  await new Promise((r) => setImmediate(r));
}

test("the next pod sees the room an assumed pod takes, before its Bind returns", async () => {
  const api = new FakeApi();
  let open: () => void = () => {};
  api.gate = new Promise((r) => {
    open = r;
  });
  const s = new Scheduler({ api, logger: quiet });
  const ac = new AbortController();
  s.onNodeAdd(makeNode("n1", { memory: "4Gi" }));
  s.onNodeAdd(makeNode("n2", { memory: "4Gi" }));
  for (const name of ["a", "b", "c"]) s.onPodAdd(makePod(name, { memory: "3Gi" }));
  await drain(s, ac);
  assert.equal(s.queue.stats.unschedulable, 1, "two fit while both Binds are still in flight; the third does not");
  open();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(new Set(api.binds.map(([, n]) => n)), new Set(["n1", "n2"]));
  assert.equal(api.unschedulable.get("c"), "0/2 nodes are available: 2 Insufficient memory.");
  assert.ok(api.events.includes("Warning FailedScheduling c: 0/2 nodes are available: 2 Insufficient memory."));
  ac.abort();
  s.queue.close();
});

test("an unschedulable pod is scheduled as soon as a node with room is added", async () => {
  const api = new FakeApi();
  const s = new Scheduler({ api, logger: quiet });
  const ac = new AbortController();
  s.onNodeAdd(makeNode("small", { memory: "1Gi" }));
  s.onPodAdd(makePod("big", { memory: "2Gi" }));
  const running = s.run(ac.signal);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(api.unschedulable.get("big"), "0/1 nodes are available: 1 Insufficient memory.");
  // The pod's first backoff (1 s) has not run out yet: it waits for it, then binds.
  const t0 = Date.now();
  s.onNodeAdd(makeNode("large", { memory: "4Gi" }));
  while (api.binds.length === 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(api.binds, [["big", "large"]]);
  assert.ok(Date.now() - t0 < 1500, `bound ${Date.now() - t0} ms after the node came`);
  ac.abort();
  await running;
});

test("bind failures: deleted or already bound pods are dropped, others requeued with backoff", async () => {
  const api = new FakeApi();
  const s = new Scheduler({ api, logger: quiet });
  const ac = new AbortController();
  s.onNodeAdd(makeNode("n1"));
  api.failNext = [new NotFoundError("gone"), new BadRequestError("already bound"), new UnavailableError("down")];
  for (const name of ["a", "b", "c"]) s.onPodAdd(makePod(name));
  await drain(s, ac);
  await new Promise((r) => setImmediate(r));
  assert.equal(api.binds.length, 0);
  assert.deepEqual(s.queue.stats, { active: 0, backoff: 1, unschedulable: 0, inFlight: 0 });
  assert.equal(s.cache.podCount, 0, "failed binds are forgotten by the cache");
  ac.abort();
  s.queue.close();
});

test("bound pods from the informer fill the cache; a deleted or finished pod frees its room", async () => {
  const api = new FakeApi();
  const s = new Scheduler({ api, logger: quiet });
  const ac = new AbortController();
  s.onNodeAdd(makeNode("n1", { memory: "4Gi" }));
  const running = makePod("running", { memory: "3Gi", nodeName: "n1" });
  s.onPodAdd(running);
  s.onPodAdd(makePod("waiting", { memory: "2Gi" }));
  await drain(s, ac);
  assert.equal(s.queue.stats.unschedulable, 1);
  const finished = makePod("running", { memory: "3Gi", nodeName: "n1" });
  finished.status!.phase = "Succeeded";
  s.onPodUpdate(running, finished);
  assert.equal(s.queue.stats.unschedulable, 0, "moved to backoff or active");
  assert.equal(s.cache.node("n1")?.requested.memory, 0);
  ac.abort();
  s.queue.close();
});

test("cordoning a node is a scheduling change; a heartbeat is not", () => {
  const s = new Scheduler({ api: new FakeApi(), logger: quiet });
  const n = makeNode("n1");
  s.onNodeAdd(n);
  s.onPodAdd(makePod("p", { memory: "64Gi" }));
  return (async () => {
    const ac = new AbortController();
    await drain(s, ac);
    assert.equal(s.queue.stats.unschedulable, 1);
    const beat = makeNode("n1");
    beat.status!.conditions[0]!.lastHeartbeatTime = "later";
    s.onNodeUpdate(n, beat);
    assert.equal(s.queue.stats.unschedulable, 1);
    s.onNodeUpdate(beat, makeNode("n1", { unschedulable: true }));
    assert.equal(s.queue.stats.unschedulable, 0);
    s.queue.close();
  })();
});

test("Scheduled events are capped; FailedScheduling warnings are not", async () => {
  const api = new FakeApi();
  const s = new Scheduler({ api, logger: quiet, scheduledEventsPerSecond: 2 });
  const ac = new AbortController();
  s.onNodeAdd(makeNode("n1", { pods: "20" }));
  for (let i = 0; i < 10; i++) s.onPodAdd(makePod(`p${i}`));
  for (let i = 0; i < 3; i++) s.onPodAdd(makePod(`big${i}`, { memory: "1Ti" }));
  await drain(s, ac);
  await new Promise((r) => setImmediate(r));
  assert.equal(api.binds.length, 10);
  // Burst of twice the rate: 4 Scheduled events, the other 6 shed.
  assert.equal(api.events.filter((e) => e.startsWith("Normal Scheduled")).length, 4);
  assert.equal(api.events.filter((e) => e.startsWith("Warning FailedScheduling")).length, 3);
  ac.abort();
  s.queue.close();
});
