// The long chaos run (issue 14, criterion 1): --seeds fresh two-node local clusters, each with
// --kills / --seeds random SIGKILLs of its components while three Deployments are scaled and rolled
// (test/chaos/run.ts). Prints one line per seed and the figures BENCHMARKS.md keeps: convergence
// after the last fault (median, worst), the invariants' counters and violations, kills per component.
// Exits 1 if an invariant broke or a cluster did not come back.
//
//   node test/dist/bench/chaos.js [--kills 100] [--seeds 5] [--seed N] [--replicas 3] [--converge-limit 300] [--ha]
//
// --ha: each cluster is `mkctl cluster up --ha` (3 etcd members, 2 API servers behind the balancer, 2
// schedulers, 2 controller managers): the kills fall among all of them (etcd one member at a time,
// while all three are healthy), never on the balancer.
//
// --seed N makes the seeds N, N+1, …; without it they are random (printed: CHAOS_SEED replays one in
// the short run, --seed here).
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { LocalCluster } from "../e2e/cluster.js";
import { clusterIdOf, ROLES, type Role } from "../chaos/faults.js";
import { seedFromEnv } from "../chaos/prng.js";
import { type ChaosReport, runChaos } from "../chaos/run.js";

const { values } = parseArgs({
  options: {
    kills: { type: "string", default: "100" },
    seeds: { type: "string", default: "5" },
    seed: { type: "string" },
    replicas: { type: "string", default: "3" },
    "converge-limit": { type: "string", default: "300" },
    ha: { type: "boolean", default: false },
  },
});

function positive(flag: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: want a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

const kills = positive("kills", values.kills);
const seeds = positive("seeds", values.seeds);
const maxReplicas = positive("replicas", values.replicas);
const limitMs = positive("converge-limit", values["converge-limit"]) * 1000;
const base = values.seed === undefined ? seedFromEnv() : seedFromEnv({ CHAOS_SEED: values.seed });

const reports: ChaosReport[] = [];
const ha = values.ha === true;
console.log(`chaos bench${ha ? " (--ha)" : ""}: ${kills} kills over ${seeds} seeds from ${base}, ≤ ${maxReplicas} replicas; load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
for (let i = 0; i < seeds; i++) {
  const seed = (base + i) >>> 0;
  const n = Math.floor(kills / seeds) + (i < kills % seeds ? 1 : 0);
  const cluster = await LocalCluster.create({ name: ha ? "chaosha" : "chaosbench", ha });
  try {
    const up = await cluster.up();
    if (up.code !== 0) throw new Error(`cluster up: ${up.stderr}`);
    const r = await runChaos(
      { cs: cluster.client(), home: cluster.home, nodes: cluster.nodes, clusterId: clusterIdOf(cluster.home) },
      { seed, kills: n, maxReplicas, killGapMs: [3_000, 8_000], writeGapMs: [1_000, 3_000], convergeLimitMs: limitMs, log: (l) => console.log(`  ${l}`) },
    );
    reports.push(r);
    const conv = r.convergedMs === undefined ? `NOT within ${limitMs / 1000} s: ${r.problems.join("; ")}` : `${(r.convergedMs / 1000).toFixed(1)} s`;
    console.log(`seed ${seed}: ${n} kills, ${r.writes} writes, converged ${conv}, ${r.violations.length} violations ${JSON.stringify(r.violations)}`);
  } finally {
    await cluster.stop();
  }
}

const conv = reports.map((r) => r.convergedMs).filter((m): m is number => m !== undefined).sort((a, b) => a - b);
const median = conv.length ? (conv[Math.floor((conv.length - 1) / 2)] ?? 0) : Number.NaN;
const perRole = Object.fromEntries(ROLES.map((role) => [role, reports.reduce((n, r) => n + r.kills[role as Role], 0)]));
const sum = (f: (r: ChaosReport) => number) => reports.reduce((n, r) => n + f(r), 0);
const byInvariant = new Map<string, number>();
for (const r of reports) for (const v of r.violations) byInvariant.set(v.invariant, (byInvariant.get(v.invariant) ?? 0) + 1);
console.log("");
console.log(`convergence after the last kill: median ${(median / 1000).toFixed(1)} s, worst ${((conv[conv.length - 1] ?? Number.NaN) / 1000).toFixed(1)} s (${conv.length}/${reports.length} converged)`);
console.log(`kills per component: ${JSON.stringify(perRole)}`);
console.log(
  `checks: surge ${sum((r) => r.counters.surgeChecks)}, container starts ${sum((r) => r.counters.engineStarts)}, lost-object ${sum((r) => r.counters.lostChecks)}; late API events ${sum((r) => r.counters.late)}`,
);
console.log(`violations: ${byInvariant.size === 0 ? 0 : JSON.stringify(Object.fromEntries(byInvariant))}`);
console.log(`load at the end: ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
if (byInvariant.size > 0 || conv.length < reports.length) process.exitCode = 1;
