// One housekeeper at a time: two API servers' compactors on one etcd, driven over 10 minutes of fake
// time (each round called when its timer would fire, the two servers' timers 20 s apart), compact
// exactly once per interval between them; when the one that compacts stops, the other takes over.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Compactor } from "@mk/apiserver/housekeeping/compaction.js";
import { EtcdStorage } from "@mk/apiserver/storage/etcd.js";
import pino from "pino";
import { type NativeEtcd, startNativeEtcd } from "../../harness/etcd-native.js";

let etcd: NativeEtcd;
let a: EtcdStorage;
let b: EtcdStorage;

before(async () => {
  etcd = await startNativeEtcd();
  a = new EtcdStorage({ endpoints: [etcd.endpoint] });
  b = new EtcdStorage({ endpoints: [etcd.endpoint] });
});
after(async () => {
  a?.close();
  b?.close();
  await etcd?.stop();
});

const INTERVAL = 60_000;
const log = pino({ level: "silent" });

test("two API servers compact once per interval across the cluster; the survivor takes over", async () => {
  const servers = [
    { name: "A", compactor: new Compactor(a, INTERVAL, log), offset: 0, stopsAt: 6 * INTERVAL },
    { name: "B", compactor: new Compactor(b, INTERVAL, log), offset: 20_000, stopsAt: Number.POSITIVE_INFINITY },
  ];
  // The fake timeline: every timer firing in the 10 minutes, in time order.
  const firings = servers
    .flatMap((s) => Array.from({ length: 10 }, (_, k) => ({ s, at: s.offset + k * INTERVAL })))
    .filter(({ s, at }) => at < s.stopsAt)
    .sort((x, y) => x.at - y.at);
  const compactions: { by: string; at: number; revision: string }[] = [];
  let n = 0;
  for (const { s, at } of firings) {
    // Writes between rounds move etcd's revision, so there is history to compact.
    for (let i = 0; i < 3; i++) await a.putIfUnchanged(`/registry/test/k${n++}`, Buffer.from("x"), "0");
    const revision = await s.compactor.tick();
    if (revision !== undefined) compactions.push({ by: s.name, at, revision });
  }
  // Intervals [k·60 s, (k+1)·60 s): the first only registers (nothing remembered yet), then one each.
  const perInterval = Array.from({ length: 10 }, (_, k) => compactions.filter((c) => c.at >= k * INTERVAL && c.at < (k + 1) * INTERVAL));
  assert.deepEqual(
    perInterval.map((cs) => cs.length),
    [0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    `one compaction per interval: ${JSON.stringify(compactions)}`,
  );
  // A compacted while it ran; after it stopped (6 min), B took over within one interval.
  assert.ok(compactions.filter((c) => c.at < 6 * INTERVAL).every((c) => c.by === "A"));
  assert.ok(compactions.filter((c) => c.at >= 7 * INTERVAL).every((c) => c.by === "B"));
  // Each compacts to a later revision than the one before.
  const revs = compactions.map((c) => Number(c.revision));
  assert.deepEqual([...revs].sort((x, y) => x - y), revs);
  await assert.rejects(a.assertNotCompacted(String((revs.at(-1) ?? 0) - 1)), /too old/);
});
