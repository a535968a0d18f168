// The short chaos run of `npm test` (issue 14): a two-node local cluster, three Deployments of at
// most 3 replicas scaled and rolled while 8 components are SIGKILLed at random; no invariant may
// break, and the cluster must come back after the last kill. The long run is test/bench/chaos.ts.
// The seed is printed; CHAOS_SEED=<seed> replays the same choices.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { LocalCluster, steps } from "../e2e/cluster.js";
import { clusterIdOf } from "./faults.js";
import { seedFromEnv } from "./prng.js";
import { type ChaosReport, runChaos } from "./run.js";

// Generous: the machine is shared (load 10–30); a quiet one converges in well under 30 s.
const CONVERGE_LIMIT_MS = 120_000;
const step = steps(200_000);
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

step("8 random kills while 3 deployments scale and roll; back within the limit", async () => {
  const seed = seedFromEnv();
  report = await runChaos(
    { cs: cluster.client(), home: cluster.home, nodes: cluster.nodes, clusterId: clusterIdOf(cluster.home) },
    { seed, kills: 8, maxReplicas: 3, killGapMs: [3_000, 7_000], writeGapMs: [1_000, 3_000], convergeLimitMs: CONVERGE_LIMIT_MS, log: (l) => console.log(`# ${l}`) },
  );
  console.log(`# chaos report: ${JSON.stringify(report)}`);
  assert.deepEqual(report.problems, [], `seed ${seed}: not back within ${CONVERGE_LIMIT_MS / 1000} s`);
  assert.notEqual(report.convergedMs, undefined);
});

step("no invariant broke, and each was checked", async () => {
  assert.deepEqual(report.violations, [], `seed ${report.seed}`);
  assert.ok(report.counters.surgeChecks > 0 && report.counters.engineStarts > 0 && report.counters.lostChecks > 0, JSON.stringify(report.counters));
});
