// The short chaos run of `npm test` (issue 14): a two-node local cluster, three Deployments of at
// most 3 replicas scaled and rolled while 6 components are SIGKILLed at random; no invariant may
// break, and the cluster must come back after the last kill. The long run is test/bench/chaos.ts.
// The seed is printed; CHAOS_SEED=<seed> replays the same choices.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { emptyMeta, Pod } from "@mk/proto";
import { eventually, LocalCluster, podsOf, steps } from "../e2e/cluster.js";
import { docker, removeContainers, runLabels } from "../harness/docker.js";
import { LABEL_CLUSTER, LABEL_CONTAINER, LABEL_NODE, LABEL_POD_UID, LABEL_TYPE } from "./engines.js";
import { clusterIdOf } from "./faults.js";
import { writtenSpecOf } from "./lost.js";
import { Observer } from "./observer.js";
import { seedFromEnv } from "./prng.js";
import { type ChaosReport, runChaos } from "./run.js";

// Generous: the machine is shared (load 10–30), where runs came back in 33–90 s (BENCHMARKS.md); the
// limit only tells a cluster that does not come back from a slow one.
const CONVERGE_LIMIT_MS = 180_000;
const step = steps(280_000);
let cluster: LocalCluster;

before(async () => {
  cluster = await LocalCluster.create({ name: "chaos" });
});
after(async () => {
  await cluster.stop();
});

let report: ChaosReport;

step("cluster up", async () => {
  const r = await cluster.up();
  assert.equal(r.code, 0, r.stderr);
});

step("6 random kills while 3 deployments scale and roll; back within the limit", async () => {
  const seed = seedFromEnv();
  report = await runChaos(
    { cs: cluster.client(), home: cluster.home, nodes: cluster.nodes, clusterId: clusterIdOf(cluster.home) },
    { seed, kills: 6, maxReplicas: 3, killGapMs: [2_000, 5_000], writeGapMs: [1_000, 3_000], convergeLimitMs: CONVERGE_LIMIT_MS, log: (l) => console.log(`# ${l}`) },
  );
  console.log(`# chaos report: ${JSON.stringify(report)}`);
  assert.deepEqual(report.problems, [], `seed ${seed}: not back within ${CONVERGE_LIMIT_MS / 1000} s`);
  assert.notEqual(report.convergedMs, undefined);
});

step("no invariant broke, and each was checked", async () => {
  assert.deepEqual(report.violations, [], `seed ${report.seed}`);
  assert.ok(report.counters.surgeChecks > 0 && report.counters.engineStarts > 0 && report.counters.lostChecks > 0, JSON.stringify(report.counters));
});

// Each checker shown to fail on the real cluster: a fresh observer, then an over-creating
// "controller" (pods with chaos-a's labels made by hand, beyond replicas + maxSurge), a "kubelet"
// that starts a second app container of a pod and one that starts the pod on the other node
// (containers with the pod's labels, run by hand), and a write the driver never made.
step("the checkers report a break made on purpose", async () => {
  const cs = cluster.client();
  const clusterId = clusterIdOf(cluster.home);
  const observer = new Observer(cs, clusterId);
  const extraPods: string[] = [];
  const extraContainers: string[] = [];
  try {
    await observer.start();
    const victim = (await podsOf(cs, "chaos-a"))[0];
    const uid = victim?.metadata?.uid ?? "";
    const node = victim?.spec?.nodeName ?? "";
    assert.ok(uid && node, "a running pod of chaos-a");
    const d = await cs.deployments.get("chaos-a", "default");
    observer.lost.acked("chaos-a", writtenSpecOf(d), Number(d.metadata?.resourceVersion));
    // maxSurge 1: two pods beyond the replicas are one too many.
    for (let i = 0; i < 3; i++) {
      const name = `chaos-a-overcreated-${i}`;
      await cs.pods.create(
        Pod.fromPartial({ metadata: emptyMeta({ name, namespace: "default", labels: { app: "chaos-a" } }), spec: { nodeName: "nowhere", containers: [{ name: "web", image: "mk/web:v1" }] } }),
      );
      extraPods.push(name);
    }
    const labels = { [LABEL_CLUSTER]: clusterId, [LABEL_POD_UID]: uid, [LABEL_TYPE]: "container", [LABEL_CONTAINER]: "web" };
    const runAs = async (onNode: string) => {
      const args = Object.entries(runLabels({ ...labels, [LABEL_NODE]: onNode })).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
      extraContainers.push(await docker(["run", "--detach", ...args, "mk/pause:1"]));
    };
    await runAs(node);
    await runAs(cluster.nodes.find((n) => n !== node) ?? "");
    const changed = await cs.deployments.get("chaos-a", "default");
    if (changed.spec) changed.spec.replicas = (changed.spec.replicas ?? 1) === 1 ? 2 : 1;
    await cs.deployments.update(changed);
    const seen = await eventually(
      "every invariant reported",
      async (why) => {
        const kinds = new Set(observer.violations().map((v) => v.invariant));
        return ["surge", "one-app-container", "one-engine", "lost"].every((k) => kinds.has(k)) ? kinds : why([...kinds].join(", "));
      },
      60_000,
    );
    console.log(`# broken on purpose, reported: ${JSON.stringify(observer.violations())}`);
    assert.equal(seen.size, 4);
  } finally {
    await observer.stop();
    await removeContainers(extraContainers);
    for (const name of extraPods) {
      // The ReplicaSet controller may have adopted and deleted it already: gone is what is wanted.
      await cs.pods.delete(name, "default", { gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  }
});
