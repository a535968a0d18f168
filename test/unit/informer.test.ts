// The informer against a scripted in-memory source: the gap after a failed watch, compaction, the
// relist, and exactly the deletes/adds/updates that reconcile the two.
import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyMeta, Pod } from "@mk/proto";
import { ExpiredError, type TypedWatchEvent, UnavailableError } from "@mk/proto/client";
import {
  DEFAULT_BACKOFF,
  type DeepReadonly,
  Informer,
  type ListerWatcher,
  type ListSnapshot,
  ManualClock,
  nextDelay,
  objectKey,
} from "@mk/proto/informer";
import { eventually } from "../harness/wait.js";

interface HistEvent {
  rev: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  obj: Pod;
}

/** A tiny API server in memory: revisions, history, compaction, watches that can be cut or held. */
class FakeSource implements ListerWatcher<Pod> {
  rev = 100;
  compactedRev = 0;
  readonly objects = new Map<string, Pod>();
  readonly history: HistEvent[] = [];
  readonly watchCalls: string[] = [];
  listCalls = 0;
  failLists = 0;
  private uidSeq = 0;
  private wakers = new Set<() => void>();
  private gate: Promise<void> = Promise.resolve();
  private openGate: () => void = () => {};
  private cut = new Set<(err: Error) => void>();

  create(name: string, labels: Record<string, string> = {}): Pod {
    return this.put("ADDED", Pod.fromPartial({ metadata: emptyMeta({ namespace: "default", name, uid: `uid-${++this.uidSeq}`, labels }) }));
  }

  update(name: string, labels: Record<string, string>): Pod {
    const cur = this.objects.get(`default/${name}`)!;
    return this.put("MODIFIED", Pod.fromPartial({ ...cur, metadata: { ...cur.metadata!, labels } }));
  }

  delete(name: string): void {
    const key = `default/${name}`;
    const cur = this.objects.get(key)!;
    this.objects.delete(key);
    const obj = Pod.fromPartial({ ...cur, metadata: { ...cur.metadata!, resourceVersion: String(++this.rev) } });
    this.record({ rev: this.rev, type: "DELETED", obj });
  }

  /** Watches streaming now (not waiting at the gate). */
  get openWatches(): number {
    return this.cut.size;
  }

  compact(): void {
    this.compactedRev = this.rev;
  }

  /** New watches wait until resume(); watches already open are cut (as by a lost connection). */
  pause(): void {
    this.gate = new Promise((r) => {
      this.openGate = r;
    });
    for (const c of this.cut) c(new UnavailableError("connection lost"));
  }

  resume(): void {
    this.openGate();
  }

  /** A BOOKMARK at the current revision to every open watch. */
  bookmark(): void {
    this.history.push({ rev: this.rev, type: "BOOKMARK" as "ADDED", obj: Pod.fromPartial({ metadata: emptyMeta({ resourceVersion: String(this.rev) }) }) });
    this.wake();
  }

  async list(_signal: AbortSignal): Promise<ListSnapshot<Pod>> {
    this.listCalls++;
    if (this.failLists > 0) {
      this.failLists--;
      throw new UnavailableError("list failed");
    }
    return { items: [...this.objects.values()].map((p) => Pod.fromPartial(p)), resourceVersion: String(this.rev) };
  }

  async *watch(resourceVersion: string, signal: AbortSignal): AsyncGenerator<TypedWatchEvent<Pod>> {
    this.watchCalls.push(resourceVersion);
    await this.gate;
    // etcd semantics: the watch starts at rv+1, which must not be below the compacted revision.
    if (Number(resourceVersion) + 1 < this.compactedRev) throw new ExpiredError(`resourceVersion ${resourceVersion} is compacted`);
    let failure: Error | undefined;
    const onCut = (err: Error) => {
      failure = err;
      this.wake();
    };
    this.cut.add(onCut);
    let pos = Number(resourceVersion);
    let seen = this.history.findIndex((e) => e.rev > pos);
    if (seen < 0) seen = this.history.length;
    try {
      for (;;) {
        while (seen < this.history.length) {
          const e = this.history[seen++]!;
          pos = e.rev;
          yield { type: e.type, object: Pod.fromPartial(e.obj) };
        }
        if (failure) throw failure;
        if (signal.aborted) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            this.wakers.delete(done);
            signal.removeEventListener("abort", done);
            resolve();
          };
          this.wakers.add(done);
          signal.addEventListener("abort", done, { once: true });
        });
        if (failure) throw failure;
        if (signal.aborted) return;
      }
    } finally {
      this.cut.delete(onCut);
    }
  }

  private put(type: "ADDED" | "MODIFIED", obj: Pod): Pod {
    obj.metadata!.resourceVersion = String(++this.rev);
    this.objects.set(objectKey(obj), obj);
    this.record({ rev: this.rev, type, obj: Pod.fromPartial(obj) });
    return obj;
  }

  private record(e: HistEvent): void {
    this.history.push(e);
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}

interface Recorded {
  adds: string[];
  updates: string[];
  deletes: string[];
}

function record(inf: Informer<Pod>): Recorded {
  const r: Recorded = { adds: [], updates: [], deletes: [] };
  inf.on("add", (o) => r.adds.push(objectKey(o)));
  inf.on("update", (_old, o) => r.updates.push(objectKey(o)));
  inf.on("delete", (o) => r.deletes.push(objectKey(o)));
  return r;
}

function reset(r: Recorded): void {
  r.adds.length = 0;
  r.updates.length = 0;
  r.deletes.length = 0;
}

const fastBackoff = { initialMs: 1, maxMs: 4 };
const names = (store: { list(): DeepReadonly<Pod>[] }) => store.list().map((p) => `${objectKey(p)}@${p.metadata?.resourceVersion}`);

test("lists, then applies watch events; BOOKMARKs move the version a reconnect watches from", async () => {
  const src = new FakeSource();
  src.create("a");
  src.create("b");
  const inf = new Informer(src, { backoff: fastBackoff });
  const r = record(inf);
  assert.equal(inf.hasSynced(), false);
  inf.start();
  assert.equal(await inf.waitForSync(), true);
  assert.deepEqual(r.adds.sort(), ["default/a", "default/b"]);
  assert.equal(inf.lastSyncResourceVersion(), "102");

  src.update("a", { v: "2" });
  src.create("c");
  src.delete("b");
  await eventually("the delete", () => r.deletes.length === 1);
  assert.deepEqual(r.updates, ["default/a"]);
  assert.deepEqual(r.adds.slice(2), ["default/c"]);
  assert.deepEqual(r.deletes, ["default/b"]);
  assert.equal(inf.store.get("default/a")?.metadata?.labels.v, "2");
  assert.equal(inf.lastSyncResourceVersion(), "105");

  src.rev = 120; // writes to other kinds moved etcd's revision; a BOOKMARK says so
  src.bookmark();
  await eventually("the bookmark", () => inf.lastSyncResourceVersion() === "120");
  src.pause(); // cut the watch: it reconnects from 120, without a relist
  await eventually("the reconnect", () => src.watchCalls.length === 2);
  assert.equal(src.watchCalls[1], "120");
  src.resume();
  src.create("d");
  await eventually("the add after reconnecting", () => r.adds.includes("default/d"));
  assert.equal(src.listCalls, 1, "a reconnect that is not expired does not relist");
  await inf.stop();
  await inf.stop(); // idempotent
});

test("relist after an expired watch fires one delete per vanished object, adds, updates, nothing for unchanged ones", async () => {
  const src = new FakeSource();
  for (const n of ["keep1", "keep2", "gone1", "gone2", "changed", "recreated"]) src.create(n);
  const inf = new Informer(src, { backoff: fastBackoff });
  const r = record(inf);
  inf.start();
  await inf.waitForSync();
  const before = { keep1: inf.store.get("default/keep1"), recreated: inf.store.get("default/recreated") };
  reset(r);
  await eventually("the watch", () => src.openWatches === 1);

  // The gap: the watch is cut and cannot reconnect while these happen and history is compacted.
  src.pause();
  await eventually("the reconnect attempt", () => src.watchCalls.length === 2);
  src.delete("gone1");
  src.delete("gone2");
  src.update("changed", { v: "2" });
  src.create("new1");
  src.create("flash"); // created and deleted inside the gap: never seen, never reported
  src.delete("flash");
  src.delete("recreated"); // same name, new object (new uid)
  src.create("recreated");
  src.compact();
  src.resume();

  await eventually("the relist", () => src.listCalls === 2);
  await eventually("the adds", () => r.adds.length >= 2);
  assert.deepEqual(r.deletes.sort(), ["default/gone1", "default/gone2", "default/recreated"]);
  assert.deepEqual(r.adds.sort(), ["default/new1", "default/recreated"]);
  assert.deepEqual(r.updates, ["default/changed"]);
  const fresh = await src.list(new AbortController().signal);
  assert.deepEqual(names(inf.store), fresh.items.map((p) => `${objectKey(p)}@${p.metadata?.resourceVersion}`).sort());
  assert.equal(inf.store.get("default/keep1"), before.keep1, "an unchanged object keeps its cached instance");
  assert.notEqual(inf.store.get("default/recreated")?.metadata?.uid, before.recreated?.metadata?.uid);
  assert.equal(inf.lastSyncResourceVersion(), fresh.resourceVersion);

  // And it watches on from the new list.
  src.delete("keep2");
  await eventually("a delete after the relist", () => r.deletes.length === 4);
  await inf.stop();
});

test("a failed list is retried with backoff; waitForSync resolves once it succeeds", async () => {
  const src = new FakeSource();
  src.create("a");
  src.failLists = 3;
  const warnings: object[] = [];
  const inf = new Informer(src, { backoff: fastBackoff, logger: { info() {}, warn: (o) => warnings.push(o), error() {} } });
  inf.start();
  assert.equal(await inf.waitForSync(AbortSignal.timeout(3000)), true);
  assert.equal(src.listCalls, 4);
  assert.equal(warnings.length, 3);
  await inf.stop();
});

test("the reconnect delay doubles from 500 ms to 5 s", () => {
  const seq = [DEFAULT_BACKOFF.initialMs];
  while (seq.length < 8) seq.push(nextDelay(DEFAULT_BACKOFF, seq.at(-1)!));
  assert.deepEqual(seq, [500, 1000, 2000, 4000, 5000, 5000, 5000, 5000]);
});

test("reconnect delays run on the injected clock: nothing is retried before the delay passes", async () => {
  const clock = new ManualClock();
  const src = new FakeSource();
  src.failLists = 2;
  const inf = new Informer(src, { clock });
  inf.start();
  await eventually("the first failure", () => src.listCalls === 1 && clock.pending() === 1);
  clock.advance(499);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(src.listCalls, 1, "waits the first 500 ms");
  clock.advance(1);
  await eventually("the second try", () => src.listCalls === 2 && clock.pending() === 1);
  clock.advance(999);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(src.listCalls, 2, "then 1 s");
  clock.advance(1);
  assert.equal(await inf.waitForSync(AbortSignal.timeout(3000)), true);
  await inf.stop();
});

test("resync fires update(obj, obj) for every cached object each period", async () => {
  const clock = new ManualClock();
  const src = new FakeSource();
  src.create("a");
  src.create("b");
  const inf = new Informer(src, { clock, resyncMs: 30_000 });
  const pairs: boolean[] = [];
  inf.on("update", (o, n) => pairs.push(o === n));
  inf.start();
  await inf.waitForSync();
  clock.advance(30_000);
  await eventually("the first resync", () => pairs.length === 2);
  clock.advance(30_000);
  await eventually("the second resync", () => pairs.length === 4);
  assert.ok(pairs.every(Boolean));
  await inf.stop();
});

test("a throwing handler is logged and does not stop the others; a late add handler gets the cache", async () => {
  const src = new FakeSource();
  src.create("a");
  const errors: object[] = [];
  const inf = new Informer(src, { backoff: fastBackoff, logger: { info() {}, warn() {}, error: (o) => errors.push(o) } });
  const seen: string[] = [];
  inf.on("add", () => {
    throw new Error("boom");
  });
  inf.on("add", (o) => seen.push(objectKey(o)));
  inf.start();
  await inf.waitForSync();
  src.create("b");
  await eventually("both adds", () => seen.length === 2);
  assert.equal(errors.length, 2);
  const late: string[] = [];
  const remove = inf.addEventHandler({ add: (o) => late.push(objectKey(o)) });
  assert.deepEqual(late, ["default/a", "default/b"]);
  remove();
  src.create("c");
  await eventually("the third add", () => seen.length === 3);
  assert.equal(late.length, 2, "removed handlers hear nothing");
  await inf.stop();
});

test("waitForSync is false when stopped or aborted before the first list; start after stop does nothing", async () => {
  const src = new FakeSource();
  src.pause(); // no watch could stream anyway; the list itself keeps failing
  src.failLists = 1_000_000;
  const inf = new Informer(src, { backoff: { initialMs: 5, maxMs: 5 } });
  inf.start();
  const ac = new AbortController();
  const w1 = inf.waitForSync(ac.signal);
  ac.abort();
  assert.equal(await w1, false);
  const w2 = inf.waitForSync();
  await inf.stop();
  assert.equal(await w2, false);
  inf.start();
  assert.equal(await inf.waitForSync(), false);
});
