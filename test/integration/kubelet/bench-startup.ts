// Benchmark: API Create → Running (as seen by a watch) through mk-kubelet, for 1 pod (repeated) and for
// 30 pods at once on one node, beside raw Docker starting the same pause + app containers at the same
// concurrency, in the same run. The kubelet is a real process; the API server runs in-process on a
// real etcd. Usage: node test/dist/integration/kubelet/bench-startup.js [--single 5] [--batch 30]
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Pod } from "@mk/proto";
import { connect } from "@mk/proto/client";
import Docker from "dockerode";
import { startTestApiServer } from "../../harness/apiserver.js";
import { RUN_ID, runLabels } from "../../harness/docker.js";
import { cleanupNode, makePod, PAUSE, uniqueNode, WEB } from "./fixtures.js";

const { values } = parseArgs({ options: { single: { type: "string", default: "5" }, batch: { type: "string", default: "30" } } });
const SINGLE = Number(values.single);
const BATCH = Number(values.batch);
const MAIN = fileURLToPath(new URL("../../../../kubelet/dist/main.js", import.meta.url));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms (n=${xs.length})`;

async function main(): Promise<void> {
  const api = await startTestApiServer();
  const cs = connect({ server: api.address });
  const nodeName = uniqueNode("bench");
  let kubelet: ChildProcess | undefined;
  const docker = new Docker();
  const rawIds: string[] = [];
  try {
    kubelet = spawn(process.execPath, [MAIN, "--server", api.address, "--node-name", nodeName, "--node-ip", "127.0.0.1", "--port", "0", "--healthz-port=-1", "--lease-renew", "2", "--log-level", "warn"], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    for (;;) {
      try {
        await cs.nodes.get(nodeName);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    // Watch from now: the first time each pod is Running.
    const abort = new AbortController();
    const running = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    const list = await cs.pods.list({ namespace: "default" });
    void (async () => {
      for await (const ev of cs.pods.watch({ namespace: "default", resourceVersion: list.resourceVersion, signal: abort.signal })) {
        const name = ev.object.metadata?.name ?? "";
        if (ev.object.status?.phase === "Running" && !running.has(name)) {
          running.set(name, performance.now());
          waiters.get(name)?.();
        }
      }
    })().catch(() => undefined);
    const runningOf = (name: string) =>
      new Promise<number>((resolve) => {
        const t = running.get(name);
        if (t !== undefined) return resolve(t);
        waiters.set(name, () => resolve(running.get(name) ?? Number.NaN));
      });

    const viaApi = async (names: string[]): Promise<number[]> => {
      const lat = await Promise.all(
        names.map(async (name) => {
          const pod: Pod = makePod(name, { nodeName, containers: [{ name: "web", image: WEB, imagePullPolicy: "IfNotPresent" }] as never });
          if (pod.metadata) pod.metadata.uid = "";
          const t0 = performance.now();
          await cs.pods.create(pod);
          return (await runningOf(name)) - t0;
        }),
      );
      await Promise.all(names.map((n) => cs.pods.delete(n, "default", { gracePeriodSeconds: 0 })));
      return lat;
    };

    const viaDocker = async (n: number, tag: string): Promise<number[]> =>
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const t0 = performance.now();
          const labels = runLabels({ "mk.bench": RUN_ID });
          const pause = await docker.createContainer({ name: `mkbench_${tag}_${i}_${RUN_ID}`, Image: PAUSE, Labels: labels, HostConfig: { Init: true } });
          rawIds.push(pause.id);
          await pause.start();
          const app = await docker.createContainer({ Image: WEB, Labels: labels, HostConfig: { Init: true, NetworkMode: `container:${pause.id}` } });
          rawIds.push(app.id);
          await app.start();
          return performance.now() - t0;
        }),
      );

    const removeRaw = async () => {
      await Promise.all(rawIds.splice(0).map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
    };

    // Warm-up (page cache, first image inspect), not counted.
    await viaApi([`warm-${RUN_ID.slice(-4)}`]);
    await viaDocker(1, "warm");
    await removeRaw();

    const single: number[] = [];
    const singleRaw: number[] = [];
    for (let i = 0; i < SINGLE; i++) {
      single.push(...(await viaApi([`one-${i}`])));
      singleRaw.push(...(await viaDocker(1, `one${i}`)));
      await removeRaw();
      await new Promise((r) => setTimeout(r, 1_500)); // let the kubelet remove the deleted pod
    }
    const batch = await viaApi(Array.from({ length: BATCH }, (_, i) => `many-${i}`));
    await new Promise((r) => setTimeout(r, 5_000));
    const batchRaw = await viaDocker(BATCH, "many");
    await removeRaw();

    process.stdout.write(`1 pod   via API + kubelet: ${fmt(single)}\n`);
    process.stdout.write(`1 pod   raw docker:        ${fmt(singleRaw)}\n`);
    process.stdout.write(`${BATCH} pods via API + kubelet: ${fmt(batch)}\n`);
    process.stdout.write(`${BATCH} pods raw docker:        ${fmt(batchRaw)}\n`);
    abort.abort();
  } finally {
    await Promise.all(rawIds.map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
    if (kubelet && kubelet.exitCode === null) {
      const exited = new Promise((r) => kubelet?.once("exit", r));
      kubelet.kill("SIGKILL");
      await exited;
    }
    await cleanupNode(nodeName);
    cs.close();
    await api.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
