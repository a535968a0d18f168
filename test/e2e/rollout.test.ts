// Rollouts with real containers (issue 6), end to end through the mkctl binary: 10 replicas of
// mk/web with a readiness probe go v1 → v2 while a poller asks the API and every pod, every 200 ms,
// that at least replicas - maxUnavailable pods are Ready and answer, and that every Ready pod answers
// with its own version (availability.ts). Then undo (watched the same way), history, pause (a new
// template changes nothing running) and resume (watched), and the drain of a node (its pods move to
// the other; nothing of them stays in Docker under its name).
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { AvailabilityPoller, maxUnavailable, type PollReport } from "./availability.js";
import { eventually, sleep } from "../harness/wait.js";
import { type Converged, containersOf, LocalCluster, podsOf, steps, waitConverged } from "./cluster.js";

const REPLICAS = 10;
// Generous: on a loaded 2-core machine one rollout of 10 pods has taken over two minutes.
const CONVERGE_MS = 360_000;
const STEP_MS = 480_000;

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${REPLICAS}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: mk/web:v1
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet:
              path: /healthz
              port: 8080
            periodSeconds: 1
`;

let cluster: LocalCluster;
let minAvailable = 0;
let last: Converged | undefined;
const step = steps(STEP_MS);

async function settle(image: string, signal: AbortSignal): Promise<Converged> {
  last = await waitConverged(cluster.client(), cluster.nodes, { deployment: "web", replicas: REPLICAS, image }, CONVERGE_MS, signal);
  return last;
}

/**
 * Runs `change` (an mkctl command) while the poller watches, waits for `rollout status` and for the
 * API and Docker to settle on `image`, and checks what the poller saw.
 */
async function watchedRollout(signal: AbortSignal, change: string[], expectOut: string, from: string, to: string): Promise<PollReport> {
  const poller = new AvailabilityPoller(cluster.client(), "web", minAvailable).start();
  let report: PollReport | undefined;
  const t0 = Date.now();
  const marks: string[] = [];
  const mark = (what: string) => marks.push(`${what} +${((Date.now() - t0) / 1000).toFixed(1)} s`);
  try {
    // A few polls of the settled state first: the poller itself must see min available.
    await sleep(1_000);
    assert.equal((await cluster.ok(change, { signal })).trim(), expectOut);
    mark("changed");
    const status = await cluster.ok(["rollout", "status", "deployment", "web", `--timeout=${CONVERGE_MS / 1000}s`], { signal });
    assert.match(status, /deployment "web" successfully rolled out\n$/);
    mark("rolled out");
    await settle(`mk/web:${to}`, signal);
    mark("settled in Docker");
    await sleep(1_000);
  } finally {
    report = await poller.stop();
    console.log(`# ${change.join(" ")}: ${marks.join(", ")}`);
    console.log(`# ${report.polls} polls, max gap ${report.maxGapMs} ms, min Ready ${report.minReady}, min answered ${report.minAnswered}`);
    console.log(`# versions per poll: ${compress(report.mixes)}`);
  }
  assert.deepEqual(report.violations, [], `availability broken during ${change.join(" ")}`);
  assert.ok(report.polls >= 10, `only ${report.polls} polls`);
  assert.equal(report.mixes[0], from, "the first polls see the old version only");
  assert.ok(report.mixes.includes(`${[from, to].sort().join("+")}`), "a rolling update: old and new answer side by side at some poll");
  assert.equal(report.mixes.at(-1), to, "the last polls see the new version only");
  return report;
}

/** "v1 ×12, v1+v2 ×30, v2 ×8". */
function compress(xs: readonly string[]): string {
  const out: [string, number][] = [];
  for (const x of xs) {
    const tail = out.at(-1);
    if (tail && tail[0] === x) tail[1]++;
    else out.push([x, 1]);
  }
  return out.map(([x, n]) => `${x || "-"} ×${n}`).join(", ");
}

before(async () => {
  cluster = await LocalCluster.create({ name: "roll" });
});

after(async () => {
  await cluster?.stop();
});

step("cluster up and 10 replicas of v1 with a readiness probe", async (signal) => {
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
  assert.equal((await cluster.ok(["apply", "-f", "-"], { stdin: MANIFEST })).trim(), "deployment.apps/web created");
  const c = await settle("mk/web:v1", signal);
  assert.equal(c.containers.length, 2 * REPLICAS);
  const d = await cluster.client().deployments.get("web", "default");
  // Kubernetes' default, 25% of 10 rounded down: 2 may be unavailable, so 8 must serve.
  assert.equal(d.spec?.strategy?.rollingUpdate?.maxUnavailable, "25%");
  minAvailable = REPLICAS - maxUnavailable(d.spec?.strategy?.rollingUpdate?.maxUnavailable, REPLICAS);
  assert.equal(minAvailable, 8);
});

step("rolling update v1 → v2: every Ready pod answers its version, at least 8 at every poll", async (signal) => {
  await watchedRollout(signal, ["set", "image", "deployment", "web", "web=mk/web:v2"], "deployment.apps/web image updated", "v1", "v2");
});

step("rollout undo: back to v1, watched the same way", async (signal) => {
  await watchedRollout(signal, ["rollout", "undo", "deployment", "web"], "deployment.apps/web rolled back", "v2", "v1");
});

step("rollout history: revisions 2 (v2) and 3 (v1, once revision 1)", async () => {
  const history = await cluster.ok(["rollout", "history", "deployment", "web"]);
  const revisions = history
    .split("\n")
    .map((l) => /^(\d+)\s/.exec(l)?.[1])
    .filter((r) => r !== undefined);
  assert.deepEqual(revisions, ["2", "3"], history);
  assert.match(await cluster.ok(["rollout", "history", "deployment", "web", "--revision=2"]), /Image:\s+mk\/web:v2\n/);
  assert.match(await cluster.ok(["rollout", "history", "deployment", "web", "--revision=3"]), /Image:\s+mk\/web:v1\n/);
  const missing = await cluster.mkctl(["rollout", "history", "deployment", "web", "--revision=1"]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /unable to find the specified revision/);
});

step("rollout pause: a new image changes nothing running; resume rolls it out", async (signal) => {
  const before = last;
  assert.ok(before);
  assert.equal((await cluster.ok(["rollout", "pause", "deployment", "web"])).trim(), "deployment.apps/web paused");
  assert.equal((await cluster.ok(["set", "image", "deployment", "web", "web=mk/web:v2"])).trim(), "deployment.apps/web image updated");
  const cs = cluster.client();
  // Wait until the controller has seen the change, then give it time it could misuse.
  await eventually("the paused deployment's new generation observed", async () => {
    const d = await cs.deployments.get("web", "default");
    return (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1);
  }, 60_000, { everyMs: 250 });
  await sleep(5_000);
  const pods = await podsOf(cs, "web");
  assert.deepEqual(
    pods.map((p) => p.metadata?.uid).sort(),
    before.pods.map((p) => p.metadata?.uid).sort(),
    "paused: the same pods",
  );
  assert.deepEqual(
    (await containersOf(cluster.nodes)).map((c) => `${c.id} ${c.image} ${c.running}`).sort(),
    before.containers.map((c) => `${c.id} ${c.image} ${c.running}`).sort(),
    "paused: the same containers, still v1",
  );
  const status = await cluster.ok(["rollout", "status", "deployment", "web", "--no-watch"]);
  assert.match(status, /0 out of 10 new replicas have been updated/);
  const undo = await cluster.mkctl(["rollout", "undo", "deployment", "web"]);
  assert.notEqual(undo.code, 0, "a paused deployment cannot be rolled back");
  assert.match(undo.stderr, /resume it first/);

  await watchedRollout(signal, ["rollout", "resume", "deployment", "web"], "deployment.apps/web resumed", "v1", "v2");
});

step("drain a node: its pods run on the other, nothing of them stays in its Docker", async (signal) => {
  const [drained, other] = cluster.nodes;
  assert.ok(drained && other);
  const before = last;
  assert.ok(before);
  const had = before.perNode.get(drained) ?? 0;
  assert.ok(had > 0, `nothing to drain: no pod on ${drained}`);
  const out = await cluster.ok(["drain", drained, "--timeout=300s"], { signal });
  assert.match(out, new RegExp(`^node/${drained} cordoned$`, "m"));
  assert.match(out, new RegExp(`^node/${drained} drained$`, "m"));
  const evicted = out.split("\n").filter((l) => /^pod\/\S+ evicted$/.test(l));
  assert.equal(evicted.length, had, out);

  const c = await settle("mk/web:v2", signal);
  assert.equal(c.perNode.get(drained), 0);
  assert.equal(c.perNode.get(other), REPLICAS);
  assert.deepEqual(await containersOf([drained]), [], `containers left on ${drained}`);
  // The pods that stayed on the other node were not touched.
  const stayed = before.pods.filter((p) => p.spec?.nodeName === other).map((p) => p.metadata?.uid);
  for (const uid of stayed) assert.ok(c.pods.some((p) => p.metadata?.uid === uid), `pod ${uid} on ${other} was replaced`);

  const nodes = await cluster.ok(["get", "nodes"]);
  assert.match(nodes, new RegExp(`^${drained}\\s+Ready,SchedulingDisabled\\s`, "m"));
  assert.match(nodes, new RegExp(`^${other}\\s+Ready\\s`, "m"));
  assert.equal((await cluster.ok(["uncordon", drained])).trim(), `node/${drained} uncordoned`);
});
