// The informer against a real API server on real etcd, through a real compaction: its watch is held
// back while objects are deleted, created and updated and etcd compacts that history away; the
// resumed watch from the old version gets the expired error, the informer relists, and it reports
// exactly what changed during the gap.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { emptyMeta, Pod } from "@mk/proto";
import { type Clientset, connect, ExpiredError, type TypedWatchEvent } from "@mk/proto/client";
import { Informer, InformerFactory, type ListerWatcher, listWatchFor, objectKey } from "@mk/proto/informer";
import { Etcd3 } from "etcd3";
import { startTestApiServer } from "../../harness/apiserver.js";
import { eventually } from "../../harness/wait.js";

const NS = "default";

/** Wraps a ListerWatcher so the test can cut the watch and hold the next one back. */
class HeldWatch<T> implements ListerWatcher<T> {
  readonly watchVersions: string[] = [];
  listCalls = 0;
  private open = new Set<AbortController>();
  private gate: Promise<void> = Promise.resolve();
  private release: () => void = () => {};
  waiting = 0;

  constructor(private readonly inner: ListerWatcher<T>) {}

  list(signal: AbortSignal) {
    this.listCalls++;
    return this.inner.list(signal);
  }

  async *watch(resourceVersion: string, signal: AbortSignal): AsyncGenerator<TypedWatchEvent<T>> {
    this.watchVersions.push(resourceVersion);
    this.waiting++;
    await Promise.race([this.gate, new Promise((r) => signal.addEventListener("abort", r, { once: true }))]);
    this.waiting--;
    if (signal.aborted) return;
    const cut = new AbortController();
    const onAbort = () => cut.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    this.open.add(cut);
    try {
      yield* this.inner.watch(resourceVersion, cut.signal);
    } finally {
      this.open.delete(cut);
      signal.removeEventListener("abort", onAbort);
    }
  }

  get streaming(): number {
    return this.open.size;
  }

  /** Ends the open watch and holds every new one until resume(). */
  hold(): void {
    this.gate = new Promise((r) => {
      this.release = r;
    });
    for (const c of this.open) c.abort();
  }

  resume(): void {
    this.release();
  }
}

const pod = (name: string, labels: Record<string, string> = {}) =>
  Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: emptyMeta({ name, namespace: NS, labels }),
    spec: { containers: [{ name: "c", image: "127.0.0.1:5000/mk/busybox:1", command: ["sleep", "3600"] }] },
  });

let server: Awaited<ReturnType<typeof startTestApiServer>>;
let cs: Clientset;
let etcd: Etcd3;

before(async () => {
  server = await startTestApiServer({ bookmarkIntervalMs: 200, compactionIntervalMs: 0 });
  cs = connect({ server: server.address });
  etcd = new Etcd3({ hosts: server.etcd.endpoint });
});

after(async () => {
  cs?.close();
  etcd?.close();
  await server?.stop();
});

test("after a compacted watch the informer relists: store equals a fresh List, one delete per object removed in the gap", async () => {
  const live = ["live-0", "live-1", "live-2"];
  const doomed = ["gone-0", "gone-1", "gone-2", "gone-3"];
  const changed = ["changed-0", "changed-1"];
  for (const n of [...live, ...doomed, ...changed]) await cs.pods.create(pod(n));

  const logs: Array<{ msg: string; obj: object }> = [];
  const logger = { info: (obj: object, msg: string) => logs.push({ obj, msg }), warn: (obj: object, msg: string) => logs.push({ obj, msg }), error: (obj: object, msg: string) => logs.push({ obj, msg }) };
  const lw = new HeldWatch(listWatchFor(cs.pods, { namespace: NS }));
  const inf = new Informer(lw, { name: "Pod", logger, backoff: { initialMs: 50, maxMs: 200 } });
  const events = { add: [] as string[], update: [] as string[], delete: [] as string[] };
  inf.on("add", (o) => events.add.push(objectKey(o)));
  inf.on("update", (_o, n) => events.update.push(objectKey(n)));
  inf.on("delete", (o) => events.delete.push(objectKey(o)));
  inf.start();
  try {
    assert.equal(await inf.waitForSync(AbortSignal.timeout(10_000)), true);
    assert.equal(inf.store.size, 9);
    await eventually("the watch to open", () => lw.streaming === 1);
    // The watch works: a live change arrives as an update.
    await cs.pods.update({ ...(await cs.pods.get("live-0", NS)), metadata: { ...(await cs.pods.get("live-0", NS)).metadata!, labels: { seen: "yes" } } });
    await eventually("the live update", () => events.update.includes(`${NS}/live-0`));
    events.add.length = 0;
    events.update.length = 0;

    // The gap: the watch is cut and held back.
    lw.hold();
    await eventually("the reconnect to be held", () => lw.waiting === 1);
    const oldVersion = inf.lastSyncResourceVersion();
    assert.equal(lw.watchVersions.at(-1), oldVersion, "reconnects from the last version seen");
    for (const n of doomed) await cs.pods.delete(n, NS);
    for (const n of changed) {
      const cur = await cs.pods.get(n, NS);
      await cs.pods.update({ ...cur, metadata: { ...cur.metadata!, labels: { rev: "2" } } });
    }
    await cs.pods.create(pod("new-0"));
    await cs.pods.create(pod("new-1"));
    await cs.pods.create(pod("flash")); // lives and dies inside the gap: nobody hears of it
    await cs.pods.delete("flash", NS);

    // Real compaction, at etcd's current revision.
    const header = (await etcd.get("/").exec()).header;
    await etcd.kv.compact({ revision: header.revision, physical: true });

    // A watch from the old version now gets the expired error.
    await assert.rejects(async () => {
      for await (const _ of cs.pods.watch({ namespace: NS, resourceVersion: oldVersion, signal: AbortSignal.timeout(5_000) })) {
        // no events may arrive from compacted history
      }
    }, ExpiredError);

    lw.resume();
    await eventually("the relist", () => lw.listCalls === 2);
    await eventually("the adds", () => events.add.length >= 2);
    await new Promise((r) => setTimeout(r, 300)); // anything extra would show up here

    assert.ok(logs.some((l) => l.msg === "watch version expired; relisting"), "the relist came from the expired watch");
    assert.deepEqual([...events.delete].sort(), doomed.map((n) => `${NS}/${n}`), "exactly one delete per removed object");
    assert.deepEqual([...events.add].sort(), [`${NS}/new-0`, `${NS}/new-1`]);
    assert.deepEqual([...events.update].sort(), changed.map((n) => `${NS}/${n}`), "updates for changed objects only");

    const fresh = await cs.pods.list({ namespace: NS });
    const view = (items: ReadonlyArray<{ metadata?: { namespace: string; name: string; resourceVersion: string; uid: string } | undefined }>) =>
      items.map((p) => `${objectKey(p)} ${p.metadata?.uid} ${p.metadata?.resourceVersion}`).sort();
    assert.deepEqual(view(inf.store.list()), view(fresh.items), "the store equals a fresh List");
    assert.ok(Number(inf.lastSyncResourceVersion()) >= Number(header.revision));

    // It watches on from the relist.
    await cs.pods.delete("live-1", NS);
    await eventually("a delete after the relist", () => events.delete.includes(`${NS}/live-1`));
    assert.equal(events.delete.length, doomed.length + 1);
  } finally {
    await inf.stop();
  }
});

test("BOOKMARKs advance the informer's version while nothing of its kind changes", async () => {
  const lw = new HeldWatch(listWatchFor(cs.replicaSets, { namespace: NS }));
  const inf = new Informer(lw, { name: "ReplicaSet" });
  inf.start();
  try {
    assert.equal(await inf.waitForSync(AbortSignal.timeout(10_000)), true);
    const listed = Number(inf.lastSyncResourceVersion());
    await cs.pods.create(pod("bookmark-mover")); // moves etcd's revision, not ReplicaSets
    await eventually("a BOOKMARK past the list's version", () => Number(inf.lastSyncResourceVersion()) > listed, 20_000);
    assert.equal(inf.store.size, 0);
  } finally {
    await inf.stop();
  }
});

test("the factory shares one informer per kind and selectors; a selector narrows the cache", async () => {
  const factory = new InformerFactory(cs);
  const web = factory.informerFor("Pod", { namespace: NS, labelSelector: "app=web" });
  assert.equal(factory.informerFor("Pod", { namespace: NS, labelSelector: "app=web" }), web, "same kind and selectors: shared");
  assert.notEqual(factory.informerFor("Pod", { namespace: NS }), web);
  const gone: string[] = [];
  web.on("delete", (o) => gone.push(objectKey(o)));
  await cs.pods.create(pod("web-a", { app: "web" }));
  await cs.pods.create(pod("db-a", { app: "db" }));
  const stop = new AbortController();
  factory.start(stop.signal);
  try {
    assert.equal(await factory.waitForSync(AbortSignal.timeout(10_000)), true);
    const late = factory.informerFor("Node"); // requested after start: started at once
    assert.equal(await late.waitForSync(AbortSignal.timeout(10_000)), true);
    assert.deepEqual(web.store.keys(), [`${NS}/web-a`]);
    await cs.pods.create(pod("web-b", { app: "web" }));
    await eventually("the new matching pod", () => web.store.size === 2);
    // A label change that makes a pod stop matching is a delete for this informer.
    const a = await cs.pods.get("web-a", NS);
    await cs.pods.update({ ...a, metadata: { ...a.metadata!, labels: { app: "other" } } });
    await eventually("the delete", () => gone.length === 1);
    assert.deepEqual(gone, [`${NS}/web-a`]);
    assert.deepEqual(web.store.keys(), [`${NS}/web-b`]);
  } finally {
    stop.abort();
    await factory.stop();
  }
});
