// A running API server learns of etcd members joined after it started (storage/etcd-sync.ts, etcd's
// clientv3 AutoSyncInterval): started knowing only member 1 of a 1-member cluster, it reads the member
// list every 500 ms here; members 2 and 3 join (learner, then voter, as `mkctl cluster join
// --control-plane` adds them); once it uses all three, member 1 is killed — writes through the API
// keep working and an API watch opened before sees every one of them, without ending. Real etcd
// processes (test/harness/etcd-native.ts) and an in-process API server.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { ConfigMap } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { type Clientset, connect } from "@mk/proto/client";
import { type ApiServer, startApiServer } from "@mk/apiserver";
import { pino } from "pino";
import { joinNativeEtcd, type NativeEtcd, startNativeEtcd } from "../../harness/etcd-native.js";
import { watchAdded } from "../../harness/added-names.js";
import { eventually } from "../../harness/wait.js";

const parent = existsSync("/dev/shm") ? "/dev/shm" : undefined;
let members: NativeEtcd[] = [];
let api: ApiServer;
let cs: Clientset;
const changes: { from: string[]; to: string[] }[] = [];

before(async () => {
  members = [await startNativeEtcd({ parent, name: "m1" })];
  api = await startApiServer({
    httpListen: "",
    // The server logs each switch of members at warn; the test reads them from the log.
    logger: pino({ level: "warn" }, {
      write(line: string) {
        const o = JSON.parse(line) as { msg?: string; from?: string[]; to?: string[] };
        if (o.msg?.startsWith("etcd members changed")) changes.push({ from: o.from ?? [], to: o.to ?? [] });
      },
    }),
    etcdServers: [members[0]!.endpoint],
    etcdRequestTimeoutMs: 4_000,
    etcdWatchSilenceMs: 3_000,
    etcdMemberSyncMs: 500,
    listen: "127.0.0.1:0",
  });
  cs = connect({ server: api.address });
});
after(async () => {
  cs?.close();
  await api?.stop();
  for (const m of members) await m.stop();
});

const cm = (name: string) => ConfigMap.fromPartial({ metadata: emptyMeta({ name, namespace: "default" }), data: { n: name } });
const sorted = (a: readonly string[]) => [...a].sort();

test("members joined after start are used, so losing the only member named at start loses nothing", async () => {
  const m1 = members[0]!;
  await cs.resource("ConfigMap").create(cm("before-join"));
  assert.deepEqual(api.storage.endpoints(), [m1.endpoint]);

  // An API watch opened now, while its etcd watch can only be on member 1.
  const watch = watchAdded(cs, "ConfigMap", "default", String(api.hub.lastRevision));
  try {
    members.push(await joinNativeEtcd(m1.endpoint, { parent, name: "m2" }));
    members.push(await joinNativeEtcd(m1.endpoint, { parent, name: "m3" }));
    const all = sorted(members.map((m) => m.endpoint));
    await eventually(
      "the API server uses the three members",
      (why) => {
        const now = sorted(api.storage.endpoints());
        return JSON.stringify(now) === JSON.stringify(all) || why(`uses ${now.join(", ")}`);
      },
      30_000,
    );
    // Each switch logged with the old and new lists: from member 1 alone (to two, then three, when
    // the sync falls between the joins) to all three.
    assert.deepEqual(changes[0]?.from, [m1.endpoint], JSON.stringify(changes));
    assert.deepEqual(sorted(changes.at(-1)?.to ?? []), all, JSON.stringify(changes));
    for (const [i, c] of changes.entries()) if (i > 0) assert.deepEqual(sorted(c.from), sorted(changes[i - 1]?.to ?? []));
    await cs.resource("ConfigMap").create(cm("after-join"));

    await m1.stop();
    const created: string[] = [];
    for (let n = 0; n < 5; n++) {
      const name = `after-loss-${n}`;
      await cs.resource("ConfigMap").create(cm(name));
      created.push(name);
    }
    const read = await cs.resource("ConfigMap").get("after-loss-0", "default");
    assert.equal(read.data.n, "after-loss-0");
    await eventually(
      "every ConfigMap created ADDED on the watch opened before",
      (why) => {
        const ended = watch.ended();
        if (ended) throw new Error(ended);
        const missing = ["after-join", ...created].filter((n) => !watch.seen.has(n));
        return missing.length === 0 || why(`missing ${missing.join(", ")}`);
      },
      30_000,
    );
    assert.ok(!api.storage.watchEndpoints().includes(m1.endpoint), "no etcd watch left on the dead member");
  } finally {
    await watch.stop();
  }
});
