// The shared controller runner (@mk/proto/informer runController): caches first, then workers; a key
// that keeps failing is dropped after the retry cap with a Warning event on its object and a metric,
// instead of cycling through the queue forever. And the controller manager's --controllers list.
import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyMeta } from "@mk/proto";
import type { EventSubject } from "@mk/proto/client";
import { DROPPED_REASON, type EventSink, ItemExponentialRateLimiter, type KeyObject, runController, runWithLeaderElection, WorkQueue } from "@mk/proto/informer";
import { enabledControllers } from "@mk/controller/controllers.js";
import { ControllerMetrics } from "@mk/controller/metrics.js";

interface Recorded {
  kind: string;
  subject: EventSubject;
  type: string;
  reason: string;
  message: string;
}

class FakeRecorder implements EventSink {
  readonly events: Recorded[] = [];
  event(kind: string, subject: EventSubject, type: string, reason: string, message: string): void {
    this.events.push({ kind, subject, type, reason, message });
  }
}

const synced = { waitForSync: async () => true };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function deploymentObject(key: string): KeyObject {
  const [namespace = "", name = ""] = key.split("/");
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: emptyMeta({ namespace, name, uid: `uid-${name}` }) };
}

/** Waits until check() holds, polling; fails after ms. */
async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test("a poison key is dropped after maxRetries retries, with a Warning event on its object and a metric", async () => {
  // 1 ms, 2 ms, 4 ms backoff: the whole retry budget takes a few milliseconds.
  const queue = new WorkQueue({ name: "deployment", rateLimiter: new ItemExponentialRateLimiter(1, 10) });
  const recorder = new FakeRecorder();
  const metrics = new ControllerMetrics();
  const attempts = new Map<string, number>();
  const drops: Array<{ key: string; err: unknown }> = [];
  const ac = new AbortController();
  const running = runController(
    {
      name: "deployment",
      queue,
      informers: [synced],
      workers: 2,
      maxRetries: 3,
      sync: async (key) => {
        attempts.set(key, (attempts.get(key) ?? 0) + 1);
        if (key === "default/poison") throw new Error("the API server rejects this one every time");
      },
      objectFor: deploymentObject,
      recorder,
      metrics,
      onDrop: (key, err) => drops.push({ key, err }),
    },
    ac.signal,
  );
  try {
    queue.add("default/poison");
    queue.add("default/fine");
    await until("the poison key to be dropped", () => drops.length > 0);
    // Still dropped a while later: nothing requeued it (it would have come back within milliseconds).
    await sleep(200);
  } finally {
    ac.abort();
    await running;
  }

  assert.equal(attempts.get("default/poison"), 4, "the first try and 3 retries, then no more");
  assert.equal(attempts.get("default/fine"), 1);
  assert.deepEqual(
    drops.map((d) => [d.key, (d.err as Error).message]),
    [["default/poison", "the API server rejects this one every time"]],
  );
  assert.equal(queue.numRequeues("default/poison"), 0, "its backoff is forgotten: a later add starts afresh");

  assert.equal(recorder.events.length, 1);
  const ev = recorder.events[0]!;
  assert.equal(ev.type, "Warning");
  assert.equal(ev.reason, DROPPED_REASON);
  assert.equal(ev.kind, "Deployment");
  assert.equal(ev.subject.metadata?.name, "poison");
  assert.equal(ev.subject.metadata?.uid, "uid-poison");
  assert.match(ev.message, /gave up on default\/poison after 4 failed syncs: the API server rejects this one every time/);

  const dropped = (await metrics.droppedKeys.get()).values;
  assert.deepEqual(
    dropped.map((v) => [v.labels.controller, v.value]),
    [["deployment", 1]],
  );
  const syncs = (await metrics.syncs.get()).values.map((v) => [v.labels.result, v.value]).sort();
  assert.deepEqual(syncs, [
    ["error", 4],
    ["ok", 1],
  ]);
});

test("a dropped key comes back with its next add, with a fresh retry budget; no event when its object is unknown", async () => {
  const queue = new WorkQueue({ rateLimiter: new ItemExponentialRateLimiter(1, 10) });
  const recorder = new FakeRecorder();
  let attempts = 0;
  let drops = 0;
  const ac = new AbortController();
  const running = runController(
    {
      name: "gc",
      queue,
      informers: [synced],
      workers: 1,
      maxRetries: 1,
      sync: async () => {
        attempts++;
        throw new Error("boom");
      },
      objectFor: () => undefined,
      recorder,
      onDrop: () => drops++,
    },
    ac.signal,
  );
  try {
    queue.add("dep:Pod:default/p");
    await until("the first drop", () => drops === 1);
    queue.add("dep:Pod:default/p");
    await until("the second drop", () => drops === 2);
  } finally {
    ac.abort();
    await running;
  }
  assert.equal(attempts, 4, "two tries per add");
  assert.equal(recorder.events.length, 0);
});

test("no worker runs before every informer has synced; abort stops the workers and shuts the queue down", async () => {
  const queue = new WorkQueue();
  let release: (ok: boolean) => void = () => {};
  const slow = {
    waitForSync: (signal?: AbortSignal) =>
      new Promise<boolean>((r) => {
        release = r;
        signal?.addEventListener("abort", () => r(false), { once: true });
      }),
  };
  const synced: string[] = [];
  let afterSyncRan = false;
  const ac = new AbortController();
  const running = runController(
    {
      name: "replicaset",
      queue,
      informers: [{ waitForSync: async () => true }, slow],
      workers: 3,
      sync: async (key) => {
        synced.push(key);
      },
      afterSync: () => {
        afterSyncRan = true;
        queue.add("from-after-sync");
      },
    },
    ac.signal,
  );
  try {
    queue.add("default/a");
    await sleep(50);
    assert.deepEqual(synced, [], "caches not synced yet");
    assert.equal(afterSyncRan, false);
    release(true);
    await until("both keys synced", () => synced.length === 2);
    assert.deepEqual([...synced].sort(), ["default/a", "from-after-sync"]);
  } finally {
    ac.abort();
    await running;
  }
  assert.equal(queue.isShuttingDown(), true);
});

test("runWithLeaderElection without an election runs at once and reports leading around the work", async () => {
  const seen: Array<boolean | string> = [];
  const ac = new AbortController();
  const done = runWithLeaderElection(
    {
      client: { leases: { get: () => Promise.reject(new Error("no lease calls without election")), create: (l) => Promise.resolve(l), update: (l) => Promise.resolve(l) } },
      namespace: "mk-system",
      name: "mk-test",
      onLeading: (l) => seen.push(l),
      run: async (signal) => {
        seen.push("run");
        await new Promise((r) => signal.addEventListener("abort", r, { once: true }));
      },
    },
    ac.signal,
  );
  try {
    await until("the work to start", () => seen.includes("run"));
  } finally {
    ac.abort();
    await done;
  }
  assert.deepEqual(seen, [true, "run", false]);
});

test("--controllers: * is every controller, -name disables one, name enables one, unknown names are an error", () => {
  const all = ["deployment", "replicaset", "job", "cronjob", "garbagecollector", "podgc", "endpointslice", "nodelifecycle", "namespace", "nodeipam"];
  assert.deepEqual(enabledControllers("*"), all);
  assert.deepEqual(enabledControllers("*,-garbagecollector"), ["deployment", "replicaset", "job", "cronjob", "podgc", "endpointslice", "nodelifecycle", "namespace", "nodeipam"]);
  assert.deepEqual(enabledControllers("-garbagecollector,*"), ["deployment", "replicaset", "job", "cronjob", "podgc", "endpointslice", "nodelifecycle", "namespace", "nodeipam"]);
  assert.deepEqual(enabledControllers("replicaset,deployment"), ["deployment", "replicaset"]);
  assert.deepEqual(enabledControllers("deployment,-deployment,*"), all, "the first item naming it decides");
  assert.deepEqual(enabledControllers(""), []);
  assert.throws(() => enabledControllers("*,-gc"), /^Error: --controllers: unknown controller "gc" \(known: deployment, replicaset, job, cronjob, garbagecollector, podgc, endpointslice, nodelifecycle, namespace, nodeipam;/);
  assert.throws(() => enabledControllers("deploymnet"), /--controllers: unknown controller "deploymnet"/);
});
