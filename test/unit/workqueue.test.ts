import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialRateLimiter,
  ManualClock,
  MaxOfRateLimiter,
  runWorkers,
  WorkQueue,
} from "@mk/proto/informer";
import { eventually } from "../harness/wait.js";

const tick = () => new Promise<void>((r) => setImmediate(r));

test("a key waiting in the queue is there once, however often it is added", async () => {
  const q = new WorkQueue();
  q.add("default/a");
  q.add("default/b");
  q.add("default/a");
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), "default/a");
  assert.equal(await q.get(), "default/b");
  assert.equal(q.len(), 0);
});

test("a key being processed is not handed out again until done, then comes back once", async () => {
  const q = new WorkQueue();
  q.add("k");
  const k = await q.get();
  assert.equal(k, "k");
  q.add("k"); // changed while a worker syncs it
  q.add("k");
  assert.equal(q.len(), 0, "not queued while processing");
  const second = q.get();
  let got: string | undefined;
  const observed = second.then((v) => {
    got = v;
  });
  await tick();
  assert.equal(got, undefined, "a second worker waits");
  q.done("k");
  await observed;
  assert.equal(got, "k");
  q.done("k");
  assert.equal(q.len(), 0, "done without a new add does not requeue");
});

test("get waits for an add, and returns undefined when its signal aborts", async () => {
  const q = new WorkQueue();
  const p = q.get();
  setTimeout(() => q.add("later"), 5);
  assert.equal(await p, "later");
  const ac = new AbortController();
  const p2 = q.get(ac.signal);
  ac.abort();
  assert.equal(await p2, undefined);
  q.add("x");
  assert.equal(await q.get(), "x", "an aborted waiter does not swallow a later key");
});

test("shutDown refuses new keys, drains queued ones, then get returns undefined", async () => {
  const q = new WorkQueue();
  q.add("a");
  const waiting = new WorkQueue();
  const w = waiting.get();
  waiting.shutDown();
  assert.equal(await w, undefined);
  q.shutDown();
  q.add("b");
  assert.equal(await q.get(), "a");
  assert.equal(await q.get(), undefined);
  assert.ok(q.isShuttingDown());
});

test("addAfter adds when the delay passes; a key delayed twice keeps the earlier time", async () => {
  const clock = new ManualClock();
  const q = new WorkQueue({ clock });
  q.addAfter("a", 100);
  q.addAfter("a", 300); // later: ignored
  q.addAfter("b", 200);
  q.addAfter("b", 50); // earlier: wins
  q.addAfter("now", 0);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), "now");
  clock.advance(49);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(await q.get(), "b");
  clock.advance(50);
  assert.equal(await q.get(), "a");
  clock.advance(1000);
  assert.equal(q.len(), 0, "the superseded timers fired nothing");
  q.addAfter("c", 10);
  q.shutDown();
  assert.equal(clock.pending(), 0, "shutDown drops delayed keys");
});

test("item exponential limiter: 5 ms doubling per failure, capped at 1000 s, reset by forget", () => {
  const l = new ItemExponentialRateLimiter();
  const delays = Array.from({ length: 5 }, () => l.when("k"));
  assert.deepEqual(delays, [5, 10, 20, 40, 80]);
  assert.equal(l.numRequeues("k"), 5);
  assert.equal(l.when("other"), 5, "per item");
  // 5 ms × 2^17 = 655.36 s is under the cap; 5 ms × 2^18 = 1310.72 s is over it.
  for (let i = 5; i < 17; i++) l.when("k");
  assert.equal(l.when("k"), 655_360);
  assert.equal(l.when("k"), 1_000_000);
  for (let i = 0; i < 2000; i++) l.when("k");
  assert.equal(l.when("k"), 1_000_000, "no overflow past 2^1023");
  l.forget("k");
  assert.equal(l.numRequeues("k"), 0);
  assert.equal(l.when("k"), 5);
});

test("token bucket: burst passes at once, then one per 1/qps, refilling with time", () => {
  const clock = new ManualClock();
  const b = new BucketRateLimiter(10, 100, clock);
  for (let i = 0; i < 100; i++) assert.equal(b.when(`k${i}`), 0);
  // The 101st is one token in debt: 1 / 10 qps = 100 ms; the 102nd 200 ms.
  assert.equal(b.when("x"), 100);
  assert.equal(b.when("y"), 200);
  // 1 s later 10 tokens came back: the debt of 2 is paid and 8 are spare.
  clock.advance(1000);
  for (let i = 0; i < 8; i++) assert.equal(b.when(`z${i}`), 0);
  assert.equal(b.when("w"), 100);
});

test("default controller limiter is the max of both, and its parts are configurable", () => {
  const clock = new ManualClock();
  const l = defaultControllerRateLimiter({ clock, qps: 1, burst: 1 });
  assert.equal(l.when("a"), 5, "per-item delay while the bucket has a token");
  assert.equal(l.when("a"), 1000, "bucket in debt by one token at 1 qps");
  assert.equal(l.numRequeues("a"), 2);
  l.forget("a");
  assert.equal(l.numRequeues("a"), 0);
  const m = new MaxOfRateLimiter(new ItemExponentialRateLimiter(1000, 5000));
  assert.deepEqual([m.when("k"), m.when("k"), m.when("k"), m.when("k")], [1000, 2000, 4000, 5000]);
});

test("addRateLimited backs off per key; forget restarts the backoff", async () => {
  const clock = new ManualClock();
  const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialRateLimiter(10, 1000) });
  q.addRateLimited("k");
  assert.equal(q.len(), 0);
  clock.advance(10);
  assert.equal(await q.get(), "k");
  q.done("k");
  q.addRateLimited("k");
  clock.advance(19);
  assert.equal(q.len(), 0, "second failure waits 20 ms");
  clock.advance(1);
  assert.equal(q.len(), 1);
  assert.equal(q.numRequeues("k"), 2);
  q.forget("k");
  assert.equal(q.numRequeues("k"), 0);
});

test("runWorkers: success forgets, failure requeues with backoff, one key never runs twice at once", async () => {
  const q = new WorkQueue({ rateLimiter: new ItemExponentialRateLimiter(1, 10) });
  const ac = new AbortController();
  const running = new Set<string>();
  let overlap = false;
  const attempts = new Map<string, number>();
  const errors: object[] = [];
  const log = { info() {}, warn() {}, error: (o: object) => errors.push(o) };
  const sync = async (key: string) => {
    if (running.has(key)) overlap = true;
    running.add(key);
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    await new Promise((r) => setTimeout(r, 2));
    running.delete(key);
    if (key === "flaky" && n < 3) throw new Error("transient");
  };
  const workers = runWorkers(q, 4, sync, ac.signal, log);
  for (let i = 0; i < 20; i++) q.add(i % 2 ? "hot" : `k${i}`);
  q.add("flaky");
  await eventually("three attempts at flaky", () => (attempts.get("flaky") ?? 0) >= 3, 5_000);
  await new Promise((r) => setTimeout(r, 20));
  ac.abort();
  await workers;
  assert.equal(overlap, false);
  assert.equal(attempts.get("flaky"), 3, "retried until it succeeded");
  assert.equal(q.numRequeues("flaky"), 0, "success forgot the failures");
  assert.equal(errors.length, 2);
  assert.ok((attempts.get("hot") ?? 0) >= 1);
  for (let i = 0; i < 20; i += 2) assert.equal(attempts.get(`k${i}`), 1);
});
