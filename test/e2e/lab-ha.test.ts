// Lab with HA (issue 13's acceptance): `cluster up --isolated --ha` runs each etcd member in a network
// namespace of its own on the lab bridge; cutting the network of the member that leads (`mkctl
// cluster node cut etcd-N`: its veth down, as a pulled cable) has the other two elect a new leader,
// while a loop of create/get/delete through the kubeconfig's one address — every 200 ms with the
// client mkctl is built on, and back to back with the mkctl binary — keeps going with no failed call.
// Healed, the member rejoins. Needs root (ip netns, nsenter, a dockerd per node).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startCallLoop } from "./call-loop.js";
import { fetchText, LocalCluster, steps } from "./cluster.js";
import { eventually, sleep } from "../harness/wait.js";

const ROOT = process.getuid?.() === 0;
let cluster: LocalCluster;
const step = ROOT ? steps(600_000) : (name: string, _fn: (signal: AbortSignal) => Promise<void>) => test(name, { skip: "needs root" }, () => {});
/** The etcd members' namespaces, as `ip netns list` showed them once the cluster was up. */
const memberNetns: string[] = [];

before(async () => {
  if (ROOT) cluster = await LocalCluster.create({ name: "labha", nodes: 1, ha: true, isolated: true });
});
after(async () => {
  await cluster?.stop();
});

const component = (name: string) => cluster.component(name);
const text = fetchText;

const ETCD = ["etcd-1", "etcd-2", "etcd-3"];
const metrics = (name: string) => text(component(name).healthUrl.replace(/\/health$/, "/metrics"));
const isLeader = async (name: string) => /^etcd_server_is_leader 1$/m.test(await metrics(name));
const hasLeader = async (name: string) => /^etcd_server_has_leader 1$/m.test(await metrics(name));

function netnsList(): Promise<string> {
  return new Promise((resolve) => execFile("ip", ["netns", "list"], (_err, stdout) => resolve(String(stdout))));
}

step("cluster up --isolated --ha: each etcd member in its own namespace, at its own address on the lab bridge", async () => {
  const up = await cluster.up(300);
  assert.equal(up.code, 0, up.stderr);
  const settings = JSON.parse(readFileSync(join(cluster.home, "cluster", "cluster.json"), "utf8")) as { labNet: number };
  const netns = await netnsList();
  for (const [i, m] of ETCD.entries()) {
    const c = component(m);
    assert.match(c.address, new RegExp(`^https://10\\.213\\.${settings.labNet}\\.${2 + i}:\\d+$`), `${m} serves at its own lab address`);
    const ns = new RegExp(`^(mk-\\w+-${m})\\b`, "m").exec(netns)?.[1];
    assert.ok(ns, `${m}'s namespace in ${netns}`);
    memberNetns.push(ns);
  }
  const leaders = await eventually("one etcd leader", async (why) => {
    const l = (await Promise.all(ETCD.map(isLeader))).filter(Boolean).length;
    return l === 1 || why(`${l} leaders`);
  }, 60_000);
  assert.ok(leaders);
  // `cluster status` reads each member's role at its own address.
  const status = await cluster.mkctl(["cluster", "status"]);
  const rows = status.stdout.trim().split("\n").slice(1).map((l) => l.split(/\s{2,}/));
  const role = (name: string) => rows.find((r) => r[0] === name)?.[3] ?? "";
  assert.deepEqual(ETCD.map(role).sort(), ["etcd follower", "etcd follower", "etcd leader"], status.stdout);
});


let resurrected: string[] = [];

step("cut the leading etcd member's network: a new leader is elected and the create/get/delete loop has no failed call", async (signal) => {
  const cs = cluster.client();
  const loop = startCallLoop(cluster, "labha");
  const calls = loop.calls;
  const t0 = Date.now();
  let leader = "";
  let newLeader = "";
  let electedAfter = 0;
  try {
    await sleep(5_000);
    leader = await eventually("the etcd leader", async () => {
      for (const m of ETCD) if (await isLeader(m)) return m;
      return undefined;
    }, 30_000, { signal });
    const cut = await cluster.mkctl(["cluster", "node", "cut", leader]);
    assert.equal(cut.code, 0, cut.stderr);
    assert.equal(cut.stdout, `node/${leader} cut\n`);
    const cutAt = Date.now();
    const others = ETCD.filter((m) => m !== leader);
    newLeader = await eventually("a new leader among the other two", async (why) => {
      for (const m of others) if (await isLeader(m)) return m;
      return why("none leads yet");
    }, 60_000, { everyMs: 100, signal });
    electedAfter = (Date.now() - cutAt) / 1000;
    // The loop runs on with the old leader cut off for a while.
    await sleep(20_000);
    const heal = await cluster.mkctl(["cluster", "node", "heal", leader]);
    assert.equal(heal.code, 0, heal.stderr);
    await eventually(`${leader} back in the cluster`, () => hasLeader(leader), 60_000, { signal });
    while (Date.now() - t0 < 50_000) await sleep(500);
  } finally {
    await loop.stop();
  }
  const failed = calls.filter((c) => c.error);
  const slowest = [...calls].sort((a, b) => b.ms - a.ms).slice(0, 3);
  console.log(`# lab ha: ${leader} cut at 5 s, ${newLeader} elected ${electedAfter.toFixed(1)} s later; ${calls.length} calls, ${failed.length} failed`);
  console.log(`# slowest: ${slowest.map((c) => `${c.op} at ${(c.at / 1000).toFixed(1)} s took ${c.ms.toFixed(0)} ms`).join("; ")}`);
  assert.deepEqual(failed, [], "no call failed");
  assert.ok(calls.filter((c) => c.op === "create").length >= 50, "the loop kept going");
  const left = await cs.resource("ConfigMap").list({ namespace: "default" });
  const back = left.items.filter((c) => c.metadata?.name.startsWith("labha-"));
  resurrected = back.map((c) => `${c.metadata?.name} (uid ${c.metadata?.uid}, resourceVersion ${c.metadata?.resourceVersion}, created ${c.metadata?.creationTimestamp})`);
  if (back.length > 0) console.log(`# objects back after their delete succeeded:\n# ${loop.about(back.map((c) => c.metadata?.name)).split("\n").join("\n# ")}\n# now: ${resurrected.join("; ")}`);
});

// Found by this test (note of stop 18): with the leader's cable pulled, a create sent in the first
// seconds timed out, and once the cable was back it was applied after the loop's own retry (same
// uid: the create's request id), get and delete had all succeeded. Every write now carries the API
// server's fence, bumped before a timed-out write is answered (apiserver/src/storage/etcd-fence.ts),
// so a late delivery fails its compare.
step("no object comes back after its delete succeeded", async () => {
  assert.deepEqual(resurrected, []);
  // A late delivery lands when the cable is back: look again a while after.
  await sleep(5_000);
  const left = await cluster.client().resource("ConfigMap").list({ namespace: "default" });
  assert.deepEqual(left.items.map((c) => c.metadata?.name).filter((n) => n?.startsWith("labha-")), []);
});

step("cluster down removes the etcd members' namespaces", async () => {
  const down = await cluster.mkctl(["cluster", "down"]);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(memberNetns.length, 3);
  const netns = (await netnsList()).split("\n").map((l) => l.split(" ")[0]);
  assert.deepEqual(memberNetns.filter((n) => netns.includes(n)), []);
});
