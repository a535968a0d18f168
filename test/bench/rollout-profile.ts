// Where a rolling update's time goes: one local mk cluster, one Deployment, `mkctl set image` and
// `mkctl rollout undo`, and a merged timeline (ms after the CLI call) of what each layer saw:
//   rs     ReplicaSet spec.replicas / status.{ready,available}Replicas changes (the controllers' writes)
//   pod    created, bound (spec.nodeName), phase, Ready, deletionTimestamp, deleted (API watch)
//   docker pause ("sandbox") and app container create / start / kill / die / destroy (the engine's
//          own timestamps)
//
//   node test/dist/bench/rollout-profile.js [--replicas 10] [--rounds 1]
//
// Prints the timelines and, per rollout, the time to the end (every old app container dead and
// --replicas new ones running), as the Swarm benchmark (swarm.ts) measures it.
import { type ChildProcess, spawn } from "node:child_process";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { Pod, ReplicaSet } from "@mk/proto";
import type { Clientset } from "@mk/proto/client";
import { LABEL_NODE_NAME, LABEL_POD_NAME, LABEL_TYPE, LocalCluster, sleep } from "../e2e/cluster.js";

const { values } = parseArgs({ options: { replicas: { type: "string", default: "10" }, rounds: { type: "string", default: "1" } } });
const N = Number(values.replicas);
const ROUNDS = Number(values.rounds);

interface Line {
  t: number;
  what: string;
}

const lines: Line[] = [];
const note = (what: string, t = Date.now()) => lines.push({ t, what });
const hashOf = (name: string) => name.split("-").slice(-2, -1)[0] ?? "?";

async function watchPods(cs: Clientset, signal: AbortSignal): Promise<void> {
  const seen = new Map<string, { node: string; phase: string; ready: boolean; deleting: boolean }>();
  for await (const ev of cs.pods.watch({ namespace: "default", signal })) {
    const p: Pod = ev.object;
    const name = p.metadata?.name ?? "";
    const cur = {
      node: p.spec?.nodeName ?? "",
      phase: p.status?.phase ?? "",
      ready: p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false,
      deleting: Boolean(p.metadata?.deletionTimestamp),
    };
    const was = seen.get(name);
    const tag = `pod ${name}`;
    if (ev.type === "DELETED") {
      note(`${tag} deleted`);
      seen.delete(name);
      continue;
    }
    if (!was) note(`${tag} ${ev.type === "ADDED" ? "created" : "seen"}`);
    if (cur.node && cur.node !== was?.node) note(`${tag} bound`);
    if (cur.phase !== (was?.phase ?? "")) note(`${tag} phase ${cur.phase}`);
    if (cur.ready !== (was?.ready ?? false)) note(`${tag} ${cur.ready ? "Ready" : "not Ready"}`);
    if (cur.deleting && !was?.deleting) note(`${tag} terminating`);
    seen.set(name, cur);
  }
}

async function watchReplicaSets(cs: Clientset, signal: AbortSignal): Promise<void> {
  const seen = new Map<string, string>();
  for await (const ev of cs.replicaSets.watch({ namespace: "default", signal })) {
    const rs: ReplicaSet = ev.object;
    const name = rs.metadata?.name ?? "";
    const s = `spec ${rs.spec?.replicas ?? 0} ready ${rs.status?.readyReplicas ?? 0} available ${rs.status?.availableReplicas ?? 0}`;
    if (seen.get(name) !== s) note(`rs  ${hashOf(`${name}-x`)} ${s}`);
    seen.set(name, s);
  }
}

function watchDocker(nodes: readonly string[]): ChildProcess {
  const args = ["events", "--format", "{{json .}}", "--filter", "type=container", "--filter", "event=create", "--filter", "event=start"];
  for (const e of ["kill", "die", "destroy"]) args.push("--filter", `event=${e}`);
  args.push("--filter", `label=${LABEL_NODE_NAME}`);
  const child = spawn("docker", args, { stdio: ["ignore", "pipe", "inherit"] });
  let buf = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (d: string) => {
    buf += d;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const e = JSON.parse(line) as { Action?: string; timeNano?: number; Actor?: { Attributes?: Record<string, string> } };
      const a = e.Actor?.Attributes ?? {};
      if (!nodes.includes(a[LABEL_NODE_NAME] ?? "")) continue;
      const kind = a[LABEL_TYPE] === "sandbox" ? "pause" : "app  ";
      note(`docker ${kind} ${e.Action} ${a[LABEL_POD_NAME] ?? "?"}`, Math.round((e.timeNano ?? 0) / 1e6));
    }
  });
  return child;
}

async function runningApps(cs: Clientset): Promise<number> {
  const pods = (await cs.pods.list({ namespace: "default" })).items;
  return pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True")).length;
}

async function rollout(cluster: LocalCluster, label: string, args: readonly string[]): Promise<void> {
  const cs = cluster.client();
  const before = new Set((await cs.pods.list({ namespace: "default" })).items.map((p) => p.metadata?.name ?? ""));
  const from = lines.length;
  const t0 = Date.now();
  note(`CLI ${args.join(" ")}`, t0);
  await cluster.ok(args);
  note("CLI returned");
  // Done when every pod there at the call is gone and N new ones are Ready.
  for (;;) {
    const pods = (await cs.pods.list({ namespace: "default" })).items;
    const old = pods.filter((p) => before.has(p.metadata?.name ?? ""));
    const fresh = pods.filter((p) => !before.has(p.metadata?.name ?? "") && !p.metadata?.deletionTimestamp);
    if (old.length === 0 && fresh.length === N && (await runningApps(cs)) === N) break;
    await sleep(100);
  }
  await sleep(500);
  const mine = lines.slice(from).sort((a, b) => a.t - b.t);
  const lastDockerEnd = Math.max(...mine.filter((l) => l.what.startsWith("docker")).map((l) => l.t));
  console.log(`\n## ${label} (load ${loadavg().map((x) => x.toFixed(2)).join(" ")}); last container event at ${((lastDockerEnd - t0) / 1000).toFixed(2)} s`);
  for (const l of mine) console.log(`${String(l.t - t0).padStart(6)} ms  ${l.what}`);
}

async function main(): Promise<void> {
  const cluster = await LocalCluster.create({ name: "rprof" });
  const abort = new AbortController();
  let docker: ChildProcess | undefined;
  try {
    const up = await cluster.up();
    if (up.code !== 0) throw new Error(`cluster up: ${up.stderr}`);
    const cs = cluster.client();
    await cluster.ok(["create", "deployment", "roll", "--image=mk/web:v1", `--replicas=${N}`]);
    while ((await runningApps(cs)) !== N) await sleep(200);
    await sleep(1000);
    docker = watchDocker(cluster.nodes);
    const swallow = (err: unknown) => {
      if (!abort.signal.aborted) console.error(err);
    };
    watchPods(cs, abort.signal).catch(swallow);
    watchReplicaSets(cs, abort.signal).catch(swallow);
    await sleep(1500);
    for (let i = 0; i < ROUNDS; i++) {
      await rollout(cluster, `update ${i + 1}`, ["set", "image", "deployment/roll", "web=mk/web:v2"]);
      await sleep(1000);
      await rollout(cluster, `undo ${i + 1}`, ["rollout", "undo", "deployment/roll"]);
      await sleep(1000);
    }
  } finally {
    abort.abort();
    docker?.kill();
    await cluster.stop();
  }
}

await main();
