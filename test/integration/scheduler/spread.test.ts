// Acceptance: 30 pods of one ReplicaSet on 3 equal nodes spread 10/10/10; a cordoned node (through
// `mkctl cordon`) gets none; `mkctl uncordon` opens it again.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { emptyMeta, type ReplicaSet } from "@mk/proto";
import { simulatedNodes } from "../../harness/fake-kubelet.js";
import { mkctlFor, type Run } from "../kubectl/mkctl.js";
import { rsOwner } from "./fixtures.js";
import { newPod, type SchedulingEnv, startEnv } from "./env.js";
import { eventually } from "../../harness/wait.js";

let env: SchedulingEnv;
let mkctl: (args: string[]) => Promise<Run>;

before(async () => {
  env = await startEnv(simulatedNodes(3, { cpu: "4", memory: "8Gi" }));
  mkctl = mkctlFor(env.api.address);
});

after(async () => {
  await env?.stop();
});

async function createReplicaSet(name: string, replicas: number): Promise<ReplicaSet> {
  const labels = { app: name };
  return await env.cs.replicaSets.create({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: emptyMeta({ name, namespace: "default" }),
    spec: {
      replicas,
      minReadySeconds: 0,
      selector: { matchLabels: labels, matchExpressions: [] },
      template: { metadata: emptyMeta({ labels }), spec: newPod("x").spec },
    },
    status: undefined,
  });
}

/** Creates n pods owned by the ReplicaSet (no controller runs here) and waits until all are bound. */
async function createOwnedPods(rs: ReplicaSet, n: number): Promise<Map<string, number>> {
  const name = rs.metadata!.name;
  await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const p = newPod(`${name}-${i}`, { cpu: "100m", memory: "128Mi", owner: rsOwner(name, rs.metadata!.uid) });
      p.metadata!.labels = { app: name };
      return env.cs.pods.create(p);
    }),
  );
  return await eventually(`${n} pods of ${name} bound`, async () => {
    const pods = (await env.cs.pods.list({ namespace: "default", labelSelector: `app=${name}` })).items;
    if (pods.length !== n || pods.some((p) => !p.spec?.nodeName)) return undefined;
    const counts = new Map<string, number>();
    for (const p of pods) counts.set(p.spec!.nodeName, (counts.get(p.spec!.nodeName) ?? 0) + 1);
    return counts;
  });
}

test("30 pods of one ReplicaSet on 3 equal nodes spread 10/10/10", async () => {
  const rs = await createReplicaSet("web", 30);
  const counts = await createOwnedPods(rs, 30);
  assert.deepEqual(Object.fromEntries([...counts].sort()), { "fake-1": 10, "fake-2": 10, "fake-3": 10 });
});

test("a cordoned node gets none; uncordoned, it takes pods again", async () => {
  assert.deepEqual(await mkctl(["cordon", "fake-2"]), { code: 0, stdout: "node/fake-2 cordoned\n", stderr: "" });
  assert.deepEqual(await mkctl(["cordon", "fake-2"]), { code: 0, stdout: "node/fake-2 already cordoned\n", stderr: "" });
  await eventually("cordon seen by the scheduler", async () => env.scheduler.cache.node("fake-2")?.node?.spec?.unschedulable === true);
  const nodes = await mkctl(["get", "nodes"]);
  assert.match(nodes.stdout, /^fake-2\s+Ready,SchedulingDisabled\s/m);
  assert.match(nodes.stdout, /^fake-1\s+Ready\s/m);
  const rs = await createReplicaSet("api", 12);
  const counts = await createOwnedPods(rs, 12);
  assert.deepEqual(Object.fromEntries([...counts].sort()), { "fake-1": 6, "fake-3": 6 });

  assert.deepEqual(await mkctl(["uncordon", "fake-2"]), { code: 0, stdout: "node/fake-2 uncordoned\n", stderr: "" });
  await eventually("uncordon seen by the scheduler", async () => env.scheduler.cache.node("fake-2")?.node?.spec?.unschedulable === false);
  const more = await createOwnedPods(await createReplicaSet("worker", 3), 3);
  // A new owner: spreading puts one on each node, fake-2 included.
  assert.deepEqual(Object.fromEntries([...more].sort()), { "fake-1": 1, "fake-2": 1, "fake-3": 1 });
  const r = await mkctl(["cordon", "nope"]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error from server (NotFound): nodes "nope" not found\n');
});
