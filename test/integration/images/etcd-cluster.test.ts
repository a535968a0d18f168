// The harness's three-member etcd cluster: every member serves, losing one keeps a quorum, and stop
// leaves nothing behind.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { containersByLabel, removeRunContainers } from "../../harness/docker.js";
import { startEtcdCluster } from "../../harness/etcd.js";
import { eventually } from "../../harness/wait.js";

after(async () => {
  await removeRunContainers();
});

async function health(endpoint: string): Promise<string> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
    return await res.text();
  } catch (err) {
    return `unreachable: ${String(err)}`;
  }
}

async function eventuallyHealthy(endpoint: string, timeoutMs: number): Promise<void> {
  await eventually(`${endpoint} healthy`, async (why) => {
    const h = await health(endpoint);
    return h.includes('"health":"true"') || why(h);
  }, timeoutMs);
}

test("a three-member cluster survives losing a member and stop removes every container", async () => {
  const cluster = await startEtcdCluster(3);
  try {
    assert.equal(cluster.endpoints.length, 3);
    assert.equal(new Set(cluster.endpoints).size, 3);
    for (const endpoint of cluster.endpoints) assert.match(await health(endpoint), /"health":"true"/);

    // A write through one member is read through another: they are one cluster, not three.
    const key = Buffer.from("mk-harness").toString("base64");
    const value = Buffer.from("one cluster").toString("base64");
    const put = await fetch(`${cluster.endpoints[0]}/v3/kv/put`, {
      method: "POST",
      body: JSON.stringify({ key, value }),
    });
    assert.equal(put.status, 200);
    const range = await fetch(`${cluster.endpoints[2]}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key }) });
    const body: unknown = await range.json();
    assert.match(JSON.stringify(body), new RegExp(value));

    await cluster.stopMember(0);
    const ids = await containersByLabel();
    assert.ok(!ids.includes(cluster.members[0]!.containerId), "member 0 removed");
    // Two of three keep a quorum; with 500 ms election timeouts a new leader, if one was needed,
    // is elected well within 5 s.
    await eventuallyHealthy(cluster.endpoints[1]!, 5_000);
    await eventuallyHealthy(cluster.endpoints[2]!, 5_000);

    await cluster.restartMember(1);
    await eventuallyHealthy(cluster.endpoints[1]!, 5_000);
  } finally {
    await cluster.stop();
  }
  const left = await containersByLabel();
  for (const m of cluster.members) assert.ok(!left.includes(m.containerId), `${m.name} removed`);
  await cluster.stop(); // idempotent
});
