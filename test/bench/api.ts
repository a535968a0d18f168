// API benchmark: mutating latency p50/p99 at a steady 500 creates/s, and sustained creates/s with
// 64 in flight. Runs a real etcd and a real mk-apiserver process (not in-process, so the load
// generator does not share its event loop), on a native etcd as `mkctl cluster up` runs it. Usage:
//   node test/dist/bench/api.js [--rate 500] [--seconds 10] [--warmup 3] [--inflight 64] [--total 10000] [--etcd-in-memory]
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Pod, emptyMeta } from "@mk/proto";
import { connect } from "@mk/proto/client";
import { freePort } from "../harness/etcd.js";
import { startNativeEtcd } from "../harness/etcd-native.js";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "500" },
    seconds: { type: "string", default: "10" },
    inflight: { type: "string", default: "64" },
    total: { type: "string", default: "10000" },
    warmup: { type: "string", default: "3" },
    // Put etcd's data in memory, to tell the API server's own latency from the disk's fsync stalls.
    "etcd-in-memory": { type: "boolean", default: false },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const inflight = Number(values.inflight);
const total = Number(values.total);
const warmup = Number(values.warmup);

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function pod(name: string): Pod {
  return Pod.fromPartial({
    metadata: emptyMeta({ name, namespace: "default", labels: { app: "bench" } }),
    spec: { containers: [{ name: "web", image: "mk/web:v1" }] },
  });
}

async function main(): Promise<void> {
  const etcd = await startNativeEtcd(values["etcd-in-memory"] ? "/dev/shm" : undefined);
  const port = await freePort();
  const httpPort = await freePort();
  const api = spawn(
    process.execPath,
    [...(process.env.MK_BENCH_NODE_ARGS ? process.env.MK_BENCH_NODE_ARGS.split(" ") : []), resolve(root, "apiserver/dist/main.js"), "--etcd-servers", etcd.endpoint, "--listen", `127.0.0.1:${port}`, "--http-listen", `127.0.0.1:${httpPort}`, "--log-level", "warn"],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok) break;
      } catch {
        // not up yet
      }
      if (i > 200) throw new Error("apiserver did not become ready");
      await new Promise((r) => setTimeout(r, 50));
    }
    const client = connect({ server: `127.0.0.1:${port}` });
    // Open loop: a create is started every 1000/rate ms whatever the answers do, so slow answers
    // show up as latency instead of silently lowering the rate.
    const openLoop = async (prefix: string, n: number): Promise<{ lat: number[]; achieved: number }> => {
      const lat: number[] = [];
      const started = performance.now();
      const waits: Promise<void>[] = [];
      for (let i = 0; i < n; i++) {
        const due = started + (i * 1000) / rate;
        const delay = due - performance.now();
        if (delay > 1) await new Promise((r) => setTimeout(r, delay));
        const t0 = performance.now();
        waits.push(client.pods.create(pod(`${prefix}-${i}`)).then(() => void lat.push(performance.now() - t0)));
      }
      await Promise.all(waits);
      lat.sort((a, b) => a - b);
      return { lat, achieved: n / ((performance.now() - started) / 1000) };
    };
    // 0. Warm-up at the same rate, not measured: the first second after start is the JIT compiling
    //    the create path (answers of 200–500 ms there), which is start-up, not steady state.
    await openLoop("warm", rate * warmup);
    // 1. Steady rate, measured.
    const n = rate * seconds;
    const { lat, achieved } = await openLoop("steady", n);

    // 2. Closed loop: `inflight` creates always outstanding.
    let next = 0;
    const t1 = performance.now();
    const lat2: number[] = [];
    await Promise.all(
      Array.from({ length: inflight }, async () => {
        while (next < total) {
          const i = next++;
          const t0 = performance.now();
          await client.pods.create(pod(`burst-${i}`));
          lat2.push(performance.now() - t0);
        }
      }),
    );
    const burstRate = total / ((performance.now() - t1) / 1000);
    lat2.sort((a, b) => a - b);
    client.close();

    const f = (x: number) => x.toFixed(1);
    console.log(`steady ${rate}/s for ${seconds}s (${n} creates, achieved ${f(achieved)}/s): p50 ${f(pct(lat, 50))} ms, p99 ${f(pct(lat, 99))} ms, max ${f(lat[lat.length - 1] ?? 0)} ms`);
    console.log(`sustained with ${inflight} in flight (${total} creates): ${f(burstRate)} creates/s, p50 ${f(pct(lat2, 50))} ms, p99 ${f(pct(lat2, 99))} ms`);
  } finally {
    api.kill("SIGTERM");
    await etcd.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
