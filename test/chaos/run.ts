// The chaos driver: three Deployments continuously scaled and rolled (mk/web:v1 ⇄ mk/web:v2) while
// components of the cluster are SIGKILLed at random (faults.ts), every choice drawn from one seeded
// PRNG (printed; CHAOS_SEED replays it). The checkers (observer.ts) watch throughout; after the last
// kill the writes stop and the run waits for the final state (final.ts), timing it from that kill.
import { Deployment, emptyMeta } from "@mk/proto";
import { type Clientset, isAlreadyExists, isConflict } from "@mk/proto/client";
import type { Violation } from "./events.js";
import { clusterThings } from "./docker-view.js";
import { killOne, ROLES, type Role } from "./faults.js";
import { finalProblems } from "./final.js";
import { writtenSpecOf, type WrittenSpec } from "./lost.js";
import { type Counters, Observer } from "./observer.js";
import { type Rng, rng } from "./prng.js";

export const IMAGES = ["mk/web:v1", "mk/web:v2"] as const;

/** The three Deployments, with different rollout fenceposts. */
export const DEPLOYMENTS = [
  { name: "chaos-a", maxSurge: "1", maxUnavailable: "0" },
  { name: "chaos-b", maxSurge: "0", maxUnavailable: "1" },
  { name: "chaos-c", maxSurge: "50%", maxUnavailable: "50%" },
] as const;

export interface ChaosTarget {
  cs: Clientset;
  /** MK_HOME of the cluster (its state.json is under cluster/). */
  home: string;
  nodes: readonly string[];
  /** The kubelets' io.mk.cluster label. */
  clusterId: string;
}

export interface ChaosOptions {
  seed: number;
  kills: number;
  /** At most this many replicas per Deployment. */
  maxReplicas: number;
  /** Time between two kills, drawn in [min, max] ms. */
  killGapMs: readonly [number, number];
  /** Time between two writes, drawn in [min, max] ms. */
  writeGapMs: readonly [number, number];
  /** How long the final state may take after the last kill before the run gives up. */
  convergeLimitMs: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  kills: Record<Role, number>;
  writes: number;
  /** From the last kill to the final state; undefined if it did not come within the limit. */
  convergedMs: number | undefined;
  /** What was still wrong when the run gave up (empty when it converged). */
  problems: string[];
  violations: Violation[];
  counters: Counters;
}

function deployment(name: string, maxSurge: string, maxUnavailable: string, spec: WrittenSpec): Deployment {
  const labels = { app: name };
  return Deployment.fromPartial({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: emptyMeta({ name, namespace: "default" }),
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: emptyMeta({ labels }),
        spec: { terminationGracePeriodSeconds: 2, containers: [{ name: "web", image: spec.image, ports: [{ containerPort: 8080 }] }] },
      },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge, maxUnavailable } },
    },
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const between = (r: Rng, [lo, hi]: readonly [number, number]) => r.int(lo, hi);

export async function runChaos(target: ChaosTarget, opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => {});
  // Two streams from the one seed: the kills' choices do not depend on how many writes happened
  // between them (which depends on timing).
  const random = rng(opts.seed);
  const writes = rng(opts.seed ^ 0x9e3779b9);
  log(`chaos: seed ${opts.seed} (CHAOS_SEED=${opts.seed} replays it), ${opts.kills} kills`);
  const observer = new Observer(target.cs, target.clusterId);
  await observer.start();
  const kills = Object.fromEntries(ROLES.map((r) => [r, 0])) as Record<Role, number>;
  let written = 0;
  try {
    // The Deployments, at no fault yet.
    const specs = new Map<string, WrittenSpec>();
    for (const d of DEPLOYMENTS) {
      const spec = { replicas: writes.int(1, opts.maxReplicas), image: IMAGES[0] };
      let made: Deployment;
      try {
        made = await target.cs.deployments.create(deployment(d.name, d.maxSurge, d.maxUnavailable, spec));
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        made = await target.cs.deployments.get(d.name, "default");
      }
      specs.set(d.name, writtenSpecOf(made));
      observer.lost.acked(d.name, writtenSpecOf(made), Number(made.metadata?.resourceVersion));
    }

    // One write: read, change, update with the version read; retried until acknowledged.
    let stopWrites = false;
    let abandon = false;
    const write = async (name: string, change: (s: WrittenSpec) => WrittenSpec) => {
      while (!abandon) {
        let want: WrittenSpec | undefined;
        try {
          const cur = await target.cs.deployments.get(name, "default");
          want = change(writtenSpecOf(cur));
          const next = Deployment.fromPartial(cur);
          if (next.spec) next.spec.replicas = want.replicas;
          const c = next.spec?.template?.spec?.containers[0];
          if (c) c.image = want.image;
          const done = await target.cs.deployments.update(next);
          observer.lost.acked(name, want, Number(done.metadata?.resourceVersion));
          written += 1;
          return;
        } catch (err) {
          // A conflict proves the write did not land; anything else (the API server or etcd died
          // mid-call) may have landed or not.
          if (want && !isConflict(err)) observer.lost.unanswered(name, want);
          await sleep(500);
        }
      }
    };

    const writer = (async () => {
      while (!stopWrites) {
        await sleep(between(writes, opts.writeGapMs));
        if (stopWrites) break;
        const d = writes.pick(DEPLOYMENTS);
        if (writes.next() < 0.5) {
          const replicas = writes.int(1, opts.maxReplicas);
          await write(d.name, (s) => ({ ...s, replicas }));
        } else {
          await write(d.name, (s) => ({ ...s, image: s.image === IMAGES[0] ? IMAGES[1] : IMAGES[0] }));
        }
      }
    })();

    let lastKill = Date.now();
    let last: string | undefined;
    try {
      for (let i = 0; i < opts.kills; i++) {
        await sleep(between(random, opts.killGapMs));
        const victim = await killOne(target.home, target.nodes, random, last);
        if (!victim) throw new Error(`seed ${opts.seed}: kill ${i + 1}: the chosen component did not come back within 120 s`);
        kills[victim.role] += 1;
        lastKill = Date.now();
        last = victim.name;
        log(`chaos: kill ${i + 1}/${opts.kills}: ${victim.name} (pid ${victim.pid}) at ${new Date(lastKill).toISOString()}`);
      }
    } catch (err) {
      abandon = true;
      throw err;
    } finally {
      // The write under way finishes (acknowledged) before the final state is awaited.
      stopWrites = true;
      await writer;
    }

    // The final state, timed from the last kill.
    let problems: string[] = [];
    let convergedMs: number | undefined;
    let waiting = "";
    while (Date.now() - lastKill < opts.convergeLimitMs) {
      try {
        problems = finalProblems({
          deployments: (await target.cs.deployments.list({ namespace: "default" })).items.filter((d) => specs.has(d.metadata?.name ?? "")),
          pods: (await target.cs.pods.list({ namespace: "default" })).items,
          nodes: (await target.cs.nodes.list()).items.map((n) => n.metadata?.name ?? ""),
          containers: await clusterThings(target.clusterId, "container"),
          volumes: await clusterThings(target.clusterId, "volume"),
          networks: await clusterThings(target.clusterId, "network"),
        });
      } catch (err) {
        problems = [`reading the state: ${err instanceof Error ? err.message : String(err)}`];
      }
      if (problems.length === 0) {
        convergedMs = Date.now() - lastKill;
        break;
      }
      // What the cluster is still waiting for, each time it changes: where the time goes.
      const now = problems.join("; ");
      if (now !== waiting) log(`chaos: +${((Date.now() - lastKill) / 1000).toFixed(1)} s: ${now}`);
      waiting = now;
      await sleep(1000);
    }
    log(convergedMs === undefined ? `chaos: not converged: ${problems.join("; ")}` : `chaos: converged ${(convergedMs / 1000).toFixed(1)} s after the last kill`);

    const now = (await target.cs.deployments.list({ namespace: "default" })).items;
    const read = new Map([...specs.keys()].map((name) => [name, now.find((d) => d.metadata?.name === name)]));
    await observer.stop();
    observer.lost.checkNow(read);
    return { seed: opts.seed, kills, writes: written, convergedMs, problems, violations: observer.violations(), counters: observer.counters() };
  } finally {
    await observer.stop();
  }
}
