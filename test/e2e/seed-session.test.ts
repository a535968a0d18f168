// The seed session (issue 6), end to end through the mkctl binary against a local cluster of two
// kubelets on the host's Docker engine: create, scale to 9 and 18, set image, undo, cluster-info,
// get nodes. After each step the API and Docker agree: as many pods as replicas, each with exactly
// one running pause and one running app container of the expected image (tag and id), labelled with
// the node the pod is bound to, and nothing left of pods that are gone.
// node:v1 and node:v2 are local tags of mk/web:v1 and mk/web:v2 (made here if absent, never removed:
// other runs may use them).
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { type Converged, ensureTag, LocalCluster, steps, waitConverged } from "./cluster.js";

// Generous: on a loaded 2-core machine a rollout of 18 pods has taken over two minutes.
const CONVERGE_MS = 360_000;
const STEP_MS = 420_000;

let cluster: LocalCluster;
let last: Converged | undefined;
const step = steps(STEP_MS);
/** The running step's signal: waits end when its time is up. */
let signal: AbortSignal | undefined;

async function settle(replicas: number, image: string): Promise<Converged> {
  const c = await waitConverged(cluster.client(), cluster.nodes, { deployment: "node", replicas, image }, CONVERGE_MS, signal);
  last = c;
  return c;
}

/** With two or more replicas, each node runs some (the scheduler spreads a ReplicaSet's pods). */
function spread(c: Converged): void {
  for (const [node, n] of c.perNode) assert.ok(n >= 1, `no pod on ${node}: ${JSON.stringify([...c.perNode])}`);
}

/** A step that changes nothing leaves the very same containers running. */
async function unchanged(): Promise<void> {
  const before = last;
  assert.ok(before);
  const now = await settle(before.pods.length, before.pods[0]?.spec?.containers[0]?.image ?? "");
  assert.deepEqual(
    now.containers.map((c) => c.id).sort(),
    before.containers.map((c) => c.id).sort(),
    "the same containers as before the step",
  );
}

before(async () => {
  await ensureTag("mk/web:v1", "node:v1");
  await ensureTag("mk/web:v2", "node:v2");
  cluster = await LocalCluster.create({ name: "seed" });
});

after(async () => {
  await cluster?.stop();
});

step("cluster up", async (sig) => {
  signal = sig;
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /cluster ready in/);
});

step("create deployment node --image=node:v1", async (sig) => {
  signal = sig;
  const out = await cluster.ok(["create", "deployment", "node", "--image=node:v1"]);
  assert.equal(out.trim(), "deployment.apps/node created");
  const c = await settle(1, "node:v1");
  assert.equal(c.containers.length, 2, "one pause and one app container");
});

step("scale --replicas=9 node", async (sig) => {
  signal = sig;
  const out = await cluster.ok(["scale", "--replicas=9", "node"]);
  assert.equal(out.trim(), "deployment.apps/node scaled");
  const c = await settle(9, "node:v1");
  assert.equal(c.containers.length, 18);
  spread(c);
});

step("scale --replicas=18 node", async (sig) => {
  signal = sig;
  const before = new Set(last?.pods.map((p) => p.metadata?.uid));
  const out = await cluster.ok(["scale", "--replicas=18", "node"]);
  assert.equal(out.trim(), "deployment.apps/node scaled");
  const c = await settle(18, "node:v1");
  assert.equal(c.containers.length, 36);
  spread(c);
  // Scaling up adds pods; the 9 already running stay.
  for (const uid of before) assert.ok(c.pods.some((p) => p.metadata?.uid === uid), `pod ${uid} was replaced by a scale-up`);
});

step("set image deployment node node=node:v2", async (sig) => {
  signal = sig;
  const old = new Set(last?.pods.map((p) => p.metadata?.uid));
  const out = await cluster.ok(["set", "image", "deployment", "node", "node=node:v2"]);
  assert.equal(out.trim(), "deployment.apps/node image updated");
  const c = await settle(18, "node:v2");
  assert.equal(c.containers.length, 36);
  spread(c);
  for (const p of c.pods) assert.ok(!old.has(p.metadata?.uid), "every pod is new");
});

step("rollout undo deployment node", async (sig) => {
  signal = sig;
  const out = await cluster.ok(["rollout", "undo", "deployment", "node"]);
  assert.equal(out.trim(), "deployment.apps/node rolled back");
  const c = await settle(18, "node:v1");
  assert.equal(c.containers.length, 36);
  spread(c);
  const history = await cluster.ok(["rollout", "history", "deployment", "node"]);
  // Undo made revision 1's template current again: it is revision 3 now, and 1 is gone.
  const revisions = history
    .split("\n")
    .map((l) => /^(\d+)\s/.exec(l)?.[1])
    .filter((r) => r !== undefined);
  assert.deepEqual(revisions, ["2", "3"], history);
});

step("cluster-info", async (sig) => {
  signal = sig;
  const out = await cluster.ok(["cluster-info"]);
  const api = cluster.upArgs[cluster.upArgs.indexOf("--api-port") + 1];
  assert.match(out, new RegExp(`control plane is running at \\S*127\\.0\\.0\\.1:${api}\\b`));
  await unchanged();
});

step("get nodes", async (sig) => {
  signal = sig;
  const out = await cluster.ok(["get", "nodes"]);
  const lines = out.trim().split("\n");
  assert.match(lines[0] ?? "", /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
  const rows = lines.slice(1).map((l) => l.split(/\s+/));
  assert.deepEqual(rows.map((r) => r[0]).sort(), [...cluster.nodes].sort());
  for (const r of rows) assert.equal(r[1], "Ready", `node ${r[0]}: ${r[1]}`);
  await unchanged();
});
