import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { status } from "@grpc/grpc-js";
import type { Pod } from "@mk/proto";
import { type Clientset, connect, ExpiredError, type TypedWatchEvent } from "@mk/proto/client";
import { Etcd3 } from "etcd3";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { failure, pod } from "./fixtures.js";

let api: TestApiServer;
let cs: Clientset;

before(async () => {
  api = await startTestApiServer({ bookmarkIntervalMs: 200, watchWindowEvents: 20 });
  cs = connect({ server: api.address, retry: { attempts: 1 } });
});
after(async () => {
  cs?.close();
  await api?.stop();
});

/**
 * Reads watch events until `until` says stop, skipping bookmarks unless asked. Leaves the stream
 * open (next() rather than for-await, whose break would close it); fails after timeoutMs.
 */
async function collect(
  it: AsyncGenerator<TypedWatchEvent<Pod>>,
  until: (evs: TypedWatchEvent<Pod>[]) => boolean,
  opts: { bookmarks?: boolean; timeoutMs?: number } = {},
): Promise<TypedWatchEvent<Pod>[]> {
  const out: TypedWatchEvent<Pod>[] = [];
  const deadline = Date.now() + (opts.timeoutMs ?? 5_000);
  while (!until(out)) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`watch timed out with ${JSON.stringify(summary(out))}`)), Math.max(1, deadline - Date.now()));
    });
    try {
      const r = await Promise.race([it.next(), timeout]);
      if (r.done) break;
      if (r.value.type === "BOOKMARK" && !opts.bookmarks) continue;
      out.push(r.value);
    } finally {
      clearTimeout(timer);
    }
  }
  return out;
}

function summary(evs: TypedWatchEvent<Pod>[]): string[] {
  return evs.map((e) => `${e.type} ${e.object.metadata?.name}`);
}

test("a watch from a resourceVersion gets every change strictly after it", async () => {
  const a = await cs.pods.create(pod("wa", { labels: { w: "1" } }));
  const from = a.metadata?.resourceVersion ?? "";
  assert.ok(a.metadata);
  a.metadata.labels.x = "y";
  await cs.pods.update(a);
  await cs.pods.create(pod("wb", { labels: { w: "1" } }));
  await cs.pods.delete("wa", "default");
  const ac = new AbortController();
  const evs = await collect(cs.pods.watch({ namespace: "default", labelSelector: "w=1", resourceVersion: from, signal: ac.signal }), (e) => e.length >= 3);
  ac.abort();
  assert.deepEqual(summary(evs), ["MODIFIED wa", "ADDED wb", "DELETED wa"]);
  // The DELETED object carries the revision of its deletion.
  const del = evs[2]?.object.metadata?.resourceVersion ?? "0";
  assert.ok(Number(del) > Number(evs[1]?.object.metadata?.resourceVersion));
});

test("without a resourceVersion the current objects come first as ADDED", async () => {
  await cs.pods.create(pod("cur-1", { labels: { cur: "1" } }));
  await cs.pods.create(pod("cur-2", { labels: { cur: "1" } }));
  const ac = new AbortController();
  const it = cs.pods.watch({ labelSelector: "cur=1", signal: ac.signal });
  const first = await collect(it, (e) => e.length >= 2);
  assert.deepEqual(summary(first).sort(), ["ADDED cur-1", "ADDED cur-2"]);
  await cs.pods.create(pod("cur-3", { labels: { cur: "1" } }));
  const next = await collect(it, (e) => e.length >= 1);
  ac.abort();
  assert.deepEqual(summary(next), ["ADDED cur-3"]);
});

test("changes that make an object start or stop matching are ADDED and DELETED", async () => {
  const ac = new AbortController();
  const it = cs.pods.watch({ namespace: "default", labelSelector: "tier=front", resourceVersion: String(api.server.hub.lastRevision), signal: ac.signal });
  const p = await cs.pods.create(pod("trans", { labels: { tier: "back" } }));
  assert.ok(p.metadata);
  p.metadata.labels.tier = "front";
  const p2 = await cs.pods.update(p);
  assert.ok(p2.metadata);
  p2.metadata.labels.extra = "1";
  const p3 = await cs.pods.update(p2);
  assert.ok(p3.metadata);
  p3.metadata.labels.tier = "back";
  await cs.pods.update(p3);
  const evs = await collect(it, (e) => e.length >= 3);
  ac.abort();
  assert.deepEqual(summary(evs), ["ADDED trans", "MODIFIED trans", "DELETED trans"]);
});

test("field selector spec.nodeName sees a pod arrive when it is bound", async () => {
  const ac = new AbortController();
  const it = cs.pods.watch({ fieldSelector: "spec.nodeName=node-w", resourceVersion: String(api.server.hub.lastRevision), signal: ac.signal });
  await cs.pods.create(pod("to-bind"));
  await cs.bind("default", "to-bind", "node-w");
  const evs = await collect(it, (e) => e.length >= 1);
  ac.abort();
  assert.deepEqual(summary(evs), ["ADDED to-bind"]);
  assert.equal(evs[0]?.object.spec?.nodeName, "node-w");
});

test("bookmarks carry the latest revision, even when the watched kind is quiet", async () => {
  const ac = new AbortController();
  const it = cs.pods.watch({ namespace: "default", labelSelector: "none=here", resourceVersion: String(api.server.hub.lastRevision), allowBookmarks: true, signal: ac.signal });
  // A write to another kind moves the store's revision.
  const d = await cs.pods.create(pod("elsewhere"));
  const target = Number(d.metadata?.resourceVersion);
  const evs = await collect(it, (e) => e.some((x) => Number(x.object.metadata?.resourceVersion) >= target), { bookmarks: true });
  ac.abort();
  assert.ok(evs.length > 0 && evs.every((e) => e.type === "BOOKMARK"), summary(evs).join());
  assert.ok(Number(evs.at(-1)?.object.metadata?.resourceVersion) >= target);
  assert.equal(evs[0]?.object.kind, "Pod");
});

test("a watch from a compacted revision ends with OUT_OF_RANGE (expired)", async () => {
  const p = await cs.pods.create(pod("old"));
  const old = p.metadata?.resourceVersion ?? "";
  for (let i = 0; i < 3; i++) {
    const cur = await cs.pods.get("old", "default");
    assert.ok(cur.metadata);
    cur.metadata.labels.i = String(i);
    await cs.pods.update(cur);
  }
  // Compact etcd for real, from outside the API server.
  const etcd = new Etcd3({ hosts: api.etcd.endpoint });
  try {
    const rev = (await etcd.get("anything").exec()).header.revision;
    await etcd.kv.compact({ revision: rev, physical: true });
  } finally {
    etcd.close();
  }
  const e = await failure(() => collect(cs.pods.watch({ resourceVersion: old }), () => false));
  assert.ok(e instanceof ExpiredError, String(e));
  assert.equal(e.code, status.OUT_OF_RANGE);
});

test("a watch from before the hub's window is served by its own etcd watch", async () => {
  const first = await cs.pods.create(pod("window-0", { labels: { win: "1" } }));
  const from = first.metadata?.resourceVersion ?? "";
  // More events than the hub keeps (20), so the start is outside its window.
  for (let i = 1; i <= 25; i++) await cs.pods.create(pod(`window-${i}`, { labels: { win: "1" } }));
  assert.ok(Number(from) + 1 < api.server.hub.oldestCovered);
  const ac = new AbortController();
  const evs = await collect(cs.pods.watch({ labelSelector: "win=1", resourceVersion: from, signal: ac.signal }), (e) => e.length >= 25);
  ac.abort();
  assert.equal(evs.length, 25);
  assert.equal(evs[0]?.object.metadata?.name, "window-1");
  assert.equal(evs[24]?.object.metadata?.name, "window-25");
});

test("a bad selector or kind fails the watch with a clear error", async () => {
  const e = await failure(() => collect(cs.pods.watch({ fieldSelector: "spec.host=x" }), () => false));
  assert.equal(e.code, status.INVALID_ARGUMENT);
  assert.match(e.message, /"spec\.host" is not a known field selector/);
});

test("the hub's window keeps only the events' own bytes, replayed decoded on demand", async () => {
  // A live watcher makes the hub decode every pod event as it fans it out.
  const live = new AbortController();
  const liveIt = cs.pods.watch({ labelSelector: "mem=1", resourceVersion: String(api.server.hub.lastRevision), signal: live.signal });
  const from = String(api.server.hub.lastRevision);
  for (let i = 0; i < 10; i++) await cs.pods.create(pod(`mem-${i}`, { labels: { mem: "1" } }));
  await collect(liveIt, (e) => e.length >= 10);
  live.abort();
  const st = api.server.hub.windowStats();
  assert.ok(st.events >= 10 && st.bytes > 0, JSON.stringify(st));
  // No value keeps the gRPC message (or an 8 KB pool slab) it arrived in.
  assert.equal(st.backingBytes, st.bytes, JSON.stringify(st));
  // A watch from inside the window still gets every event, decoded from those bytes.
  assert.ok(Number(from) + 1 >= api.server.hub.oldestCovered);
  const ac = new AbortController();
  const evs = await collect(cs.pods.watch({ labelSelector: "mem=1", resourceVersion: from, signal: ac.signal }), (e) => e.length >= 10);
  ac.abort();
  assert.deepEqual(
    evs.map((e) => [e.type, e.object.metadata?.name]),
    Array.from({ length: 10 }, (_, i) => ["ADDED", `mem-${i}`]),
  );
});
