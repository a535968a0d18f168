// Concurrent writers of one object never lose a write: label updates (read-modify-write with the
// read resourceVersion, retried on conflict as clients do), scales (no resourceVersion: the server's
// guaranteedUpdate reads, changes spec.replicas alone, and compares-and-swaps) and status updates
// (conditions added with the read resourceVersion) all interleave on one Deployment. Afterwards every
// label, every condition and the last scale are there, and generation counts exactly the spec changes.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { metaOf } from "@mk/proto";
import { type Clientset, connect, retryOnConflict } from "@mk/proto/client";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { deployment } from "./fixtures.js";

/** 6 label writers adding 5 labels each, 2 status writers adding 6 conditions each, 15 scales in order. */
const LOAD = { labelWriters: 6, labelsEach: 5, statusWriters: 2, conditionsEach: 6, scales: 15 };

let api: TestApiServer;
let cs: Clientset;

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address, retry: { attempts: 1 } });
});
after(async () => {
  cs?.close();
  await api?.stop();
});

async function addLabel(key: string): Promise<void> {
  await retryOnConflict(async () => {
    const d = await cs.deployments.get("web", "default");
    const meta = metaOf(d);
    meta.labels = { ...meta.labels, [key]: "set" };
    await cs.deployments.update(d);
  }, 200);
}

async function addCondition(type: string): Promise<void> {
  await retryOnConflict(async () => {
    const d = await cs.deployments.get("web", "default");
    assert.ok(d.status);
    d.status.conditions.push({ type, status: "True", lastUpdateTime: "", lastTransitionTime: "", reason: "Test", message: "" });
    await cs.deployments.updateStatus(d);
  }, 200);
}

test("concurrent update, scale and status writers of one Deployment lose no write", async () => {
  await cs.deployments.create(deployment("web", { replicas: 0 }));
  const labelWriters = Array.from({ length: LOAD.labelWriters }, async (_, w) => {
    for (let i = 0; i < LOAD.labelsEach; i++) await addLabel(`w${w}-${i}`);
  });
  const statusWriters = Array.from({ length: LOAD.statusWriters }, async (_, w) => {
    for (let i = 0; i < LOAD.conditionsEach; i++) await addCondition(`S${w}x${i}`);
  });
  // One scaler, in order: the last value is the one that must stay.
  const scaler = (async () => {
    for (let r = 1; r <= LOAD.scales; r++) await cs.updateScale("Deployment", "default", "web", r);
  })();
  await Promise.all([...labelWriters, ...statusWriters, scaler]);

  const d = await cs.deployments.get("web", "default");
  const meta = metaOf(d);
  const labels = Object.keys(meta.labels).filter((k) => k.startsWith("w"));
  assert.equal(labels.length, LOAD.labelWriters * LOAD.labelsEach, `labels kept: ${labels.sort().join(",")}`);
  const conditions = (d.status?.conditions ?? []).map((c) => c.type).filter((t) => t.startsWith("S"));
  assert.equal(conditions.length, LOAD.statusWriters * LOAD.conditionsEach, `conditions kept: ${conditions.sort().join(",")}`);
  assert.equal(d.spec?.replicas, LOAD.scales);
  // Created at generation 1; each scale changed the spec once; labels and status never bump it.
  assert.equal(meta.generation, 1 + LOAD.scales);
});

test("unconditional updates (no resourceVersion) racing each other all succeed: the server reads again on a lost race", async () => {
  const created = await cs.deployments.create(deployment("blind", { replicas: 1 }));
  const writers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; i < 4; i++) {
      const d = structuredClone(created);
      metaOf(d).resourceVersion = "";
      metaOf(d).annotations = { writer: `${w}-${i}` };
      await cs.deployments.update(d);
    }
  });
  const results = await Promise.allSettled(writers);
  const failed = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
  assert.deepEqual(failed, []);
  // The last write wins whole (an update replaces the object): one writer's annotation is there.
  assert.match(metaOf(await cs.deployments.get("blind", "default")).annotations.writer ?? "", /^\d-3$/);
});
