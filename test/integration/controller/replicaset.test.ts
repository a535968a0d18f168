// ReplicaSet controller against a real API server and etcd, pods made Running by the fake kubelet.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { retryOnConflict } from "@mk/proto/client";
import { type ControllerEnv, startEnv } from "./env.js";
import { eventually } from "../../harness/wait.js";
import { isReady, orphanPod, replicaSet } from "./objects.js";

let env: ControllerEnv;
before(async () => {
  env = await startEnv({ controllers: ["replicaset", "gc", "podgc"] });
});
after(async () => {
  await env?.stop();
});

const podsOf = async (app: string) => (await env.client.pods.list({ namespace: "default", labelSelector: `app=${app}` })).items;
const live = async (app: string) => (await podsOf(app)).filter((p) => !p.metadata?.deletionTimestamp);

test("creates exactly spec.replicas pods with generateName and a controller reference; status follows", async () => {
  const ac = new AbortController();
  const seen = new Set<string>();
  const watching = (async () => {
    for await (const ev of env.client.pods.watch({ namespace: "default", labelSelector: "app=web", signal: ac.signal })) {
      if (ev.type === "ADDED") seen.add(ev.object.metadata?.name ?? "");
    }
  })();
  const rs = await env.client.replicaSets.create(replicaSet("web", 3));
  const got = await eventually("3 ready replicas in status", async () => {
    const cur = await env.client.replicaSets.get("web", "default");
    return cur.status?.readyReplicas === 3 && cur.status.availableReplicas === 3 && cur.status.observedGeneration === cur.metadata?.generation ? cur : undefined;
  });
  assert.equal(got.status?.replicas, 3);
  const pods = await podsOf("web");
  assert.equal(pods.length, 3);
  for (const p of pods) {
    assert.match(p.metadata?.name ?? "", /^web-[a-z0-9]{5}$/);
    const ref = p.metadata?.ownerReferences[0];
    assert.equal(ref?.uid, rs.metadata?.uid);
    assert.equal(ref?.controller, true);
    assert.ok(isReady(p));
  }
  // Expectations: never a fourth create while the cache caught up.
  await new Promise((r) => setTimeout(r, 300));
  ac.abort();
  await watching;
  assert.equal(seen.size, 3, `pods created: ${[...seen].join(",")}`);
});

test("scale up and down through the Scale subresource; a scale-down deletes the not-ready pods first", async () => {
  await env.client.updateScale("ReplicaSet", "default", "web", 5);
  await eventually("5 ready", async () => (await env.client.replicaSets.get("web", "default")).status?.readyReplicas === 5);
  // Three of the five stop being ready (a failing readiness probe); the two ready ones must stay.
  const names = (await live("web")).map((p) => p.metadata?.name ?? "").sort();
  assert.equal(names.length, 5);
  const unready = names.slice(1, 4);
  for (const name of unready) await env.kubelet.markNotReady("default", name);
  await eventually("status: 2 of 5 ready", async () => (await env.client.replicaSets.get("web", "default")).status?.readyReplicas === 2);

  // Every pod the controller deletes, from now on: a deletionTimestamp, or gone at once.
  const ac = new AbortController();
  const deleted = new Set<string>();
  const from = (await env.client.pods.list({ namespace: "default", labelSelector: "app=web" })).resourceVersion;
  const watching = (async () => {
    for await (const ev of env.client.pods.watch({ namespace: "default", labelSelector: "app=web", resourceVersion: from, signal: ac.signal })) {
      if (ev.type === "DELETED" || ev.object.metadata?.deletionTimestamp) deleted.add(ev.object.metadata?.name ?? "");
    }
  })();
  await env.client.updateScale("ReplicaSet", "default", "web", 2);
  await eventually("2 live pods and status 2", async () => (await live("web")).length === 2 && (await env.client.replicaSets.get("web", "default")).status?.replicas === 2);
  const left = (await live("web")).map((p) => p.metadata?.name ?? "").sort();
  ac.abort();
  await watching;
  assert.deepEqual([...deleted].sort(), unready, "exactly the three not-ready pods were deleted");
  assert.deepEqual(left, [names[0], names[4]], "the ready pods stay");
});

test("terminating pods do not count: a deleted pod is replaced at once", async () => {
  const before = await live("web");
  const victim = before[0]?.metadata?.name ?? "";
  await env.client.pods.delete(victim, "default");
  await eventually("a replacement", async () => {
    const now = await live("web");
    return now.length === 2 && !now.some((p) => p.metadata?.name === victim);
  });
});

test("adopts a matching orphan and releases a pod that stops matching", async () => {
  await env.client.pods.create(orphanPod("stray", { app: "adopt" }));
  const rs = await env.client.replicaSets.create(replicaSet("adopt", 2));
  await eventually("orphan adopted, one more created", async () => {
    const pods = await live("adopt");
    const stray = pods.find((p) => p.metadata?.name === "stray");
    return pods.length === 2 && stray?.metadata?.ownerReferences[0]?.uid === rs.metadata?.uid;
  });
  // The fake kubelet may still be writing the pod's status: a user's relabel retries on a conflict.
  await retryOnConflict(async () => {
    const stray = await env.client.pods.get("stray", "default");
    stray.metadata!.labels = { app: "released" };
    await env.client.pods.update(stray);
  });
  await eventually("released and replaced", async () => {
    const p = await env.client.pods.get("stray", "default");
    return p.metadata?.ownerReferences.length === 0 && (await live("adopt")).length === 2;
  });
});

test("deleting a ReplicaSet removes its pods (garbage collector, background)", async () => {
  await env.client.replicaSets.delete("adopt", "default");
  await eventually("pods gone", async () => (await podsOf("adopt")).length === 0, 5_000);
});

test("pod GC: pods of a deleted Node are removed and the ReplicaSet replaces them elsewhere", async () => {
  await env.client.replicaSets.create(replicaSet("spread", 6));
  await eventually("6 ready", async () => (await env.client.replicaSets.get("spread", "default")).status?.readyReplicas === 6);
  const victims = (await live("spread")).filter((p) => p.spec?.nodeName === "fake-1").map((p) => p.metadata?.name);
  assert.ok(victims.length > 0);
  env.kubelet.silence("fake-1");
  await env.client.nodes.delete("fake-1");
  await eventually("victims gone, 6 ready again, none on fake-1", async () => {
    const pods = await podsOf("spread");
    return (
      pods.every((p) => !victims.includes(p.metadata?.name)) &&
      pods.every((p) => p.spec?.nodeName !== "fake-1") &&
      (await env.client.replicaSets.get("spread", "default")).status?.readyReplicas === 6
    );
  }, 10_000);
});
