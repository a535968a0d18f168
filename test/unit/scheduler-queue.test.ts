import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "@mk/proto/informer";
import { SchedulingQueue } from "@mk/scheduler/queue/scheduling-queue";
import { makePod } from "../integration/scheduler/fixtures.js";

const names = async (q: SchedulingQueue, n: number) => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const qpi = await q.pop();
    out.push(qpi!.podInfo.pod.metadata!.name);
    q.done(qpi!.podInfo.key);
  }
  return out;
};

test("active queue: higher priority first, then the oldest", async () => {
  const clock = new ManualClock();
  const q = new SchedulingQueue({ clock });
  q.add(makePod("old-low"));
  clock.advance(10);
  q.add(makePod("new-high", { priority: 100 }));
  clock.advance(10);
  q.add(makePod("newer-low"));
  q.add(makePod("mid", { priority: 10 }));
  assert.deepEqual(await names(q, 4), ["new-high", "mid", "old-low", "newer-low"]);
  q.close();
});

test("backoff: 1 s doubling to 10 s", async () => {
  const clock = new ManualClock();
  const q = new SchedulingQueue({ clock });
  q.add(makePod("p"));
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    const qpi = (await q.pop())!;
    waits.push(q.backoffDuration(qpi));
    q.requeueWithBackoff(qpi);
    assert.equal(q.stats.backoff, 1);
    clock.advance(waits[i]! - 1);
    assert.equal(q.stats.active, 0, `still backing off after ${waits[i]! - 1} ms`);
    clock.advance(1);
    assert.equal(q.stats.active, 1);
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 10000, 10000]);
  q.close();
});

test("unschedulable: retried on a move event (after backoff) or after 5 minutes", async () => {
  const clock = new ManualClock();
  const q = new SchedulingQueue({ clock });
  q.add(makePod("p"));
  let qpi = (await q.pop())!;
  q.addUnschedulable(qpi, q.cycle);
  assert.deepEqual(q.stats, { active: 0, backoff: 0, unschedulable: 1, inFlight: 0 });
  // An event within the 1 s backoff: to backoff, then active when it runs out.
  clock.advance(500);
  q.moveAllToActiveOrBackoff();
  assert.equal(q.stats.backoff, 1);
  clock.advance(500);
  assert.equal(q.stats.active, 1);

  qpi = (await q.pop())!;
  q.addUnschedulable(qpi, q.cycle);
  // No event: nothing for 5 minutes (the set is checked every 30 s), then back to active.
  clock.advance(299_000);
  assert.equal(q.stats.unschedulable, 1);
  clock.advance(31_000);
  assert.deepEqual(q.stats, { active: 1, backoff: 0, unschedulable: 0, inFlight: 0 });
  q.close();
});

test("an event during the attempt sends the pod to backoff, not to sleep", async () => {
  const clock = new ManualClock();
  const q = new SchedulingQueue({ clock });
  q.add(makePod("p"));
  const qpi = (await q.pop())!;
  const cycle = q.cycle;
  q.moveAllToActiveOrBackoff(); // a node was added while the pod was being tried
  q.addUnschedulable(qpi, cycle);
  assert.deepEqual(q.stats, { active: 0, backoff: 1, unschedulable: 0, inFlight: 0 });
  q.close();
});

test("delete and update: a deleted pod is dropped, even in flight; a changed spec retries an unschedulable pod", async () => {
  const clock = new ManualClock();
  const q = new SchedulingQueue({ clock });
  q.add(makePod("a"));
  q.add(makePod("b"));
  q.delete("default/a");
  const b = (await q.pop())!;
  assert.equal(b.podInfo.key, "default/b");
  q.delete("default/b");
  q.addUnschedulable(b, q.cycle);
  assert.equal(q.has("default/b"), false);

  q.add(makePod("c"));
  const c = (await q.pop())!;
  q.addUnschedulable(c, q.cycle);
  clock.advance(2_000);
  q.update(makePod("c", { tolerations: [{ operator: "Exists" }] }));
  assert.equal(q.stats.active, 1);
  const again = (await q.pop())!;
  assert.equal(again.podInfo.pod.spec?.tolerations.length, 1);
  q.close();
});

test("pop waits for a pod and ends when the signal aborts", async () => {
  const q = new SchedulingQueue({ clock: new ManualClock() });
  const waiting = q.pop();
  q.add(makePod("late"));
  assert.equal((await waiting)?.podInfo.key, "default/late");
  const ac = new AbortController();
  const never = q.pop(ac.signal);
  ac.abort();
  assert.equal(await never, undefined);
  q.close();
});
