// Scheduler benchmark with simulated nodes: Node objects (and, with --kubelet, the test harness's fake
// kubelet making bound pods Running); a test tool, never a product path. Real etcd (native), a real
// mk-apiserver process and a real mk-scheduler process, so the load generator shares no event loop.
//
//   1. bulk:   --pods pending pods are created first, then mk-scheduler starts; pods/s from its
//              first bind to its last (and from its start, informer sync included).
//   2. steady: pods created open-loop at --rate/s for --seconds; creation-to-binding latency p50/p99,
//              the binding seen through a watch.
//   3. limits: the pipeline alone, in this process, on as many NodeInfos (pods/s with no I/O); and
//              the API's own ceiling for Bind: --pods/5 pods bound straight from here, 256 in flight.
//
//   node test/dist/bench/scheduler.js [--nodes 1000] [--pods 10000] [--rate 500] [--seconds 10]
//                                     [--kubelet] [--cpu-prof DIR] [--binds 64]
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { emptyMeta, Pod } from "@mk/proto";
import { AlreadyExistsError, type Clientset, connect } from "@mk/proto/client";
import { freePort } from "../harness/etcd.js";
import { startNativeEtcd } from "../harness/etcd-native.js";
import { FakeKubelet, nodeObject, simulatedNodes } from "../harness/fake-kubelet.js";
import { NodeInfo, podInfoOf } from "@mk/scheduler/framework/index";
import { schedulePod } from "@mk/scheduler/pipeline";
import { NODE_FLAGS } from "@mk/kubectl/cluster/binaries.js";
import { eventually } from "../harness/wait.js";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "1000" },
    pods: { type: "string", default: "10000" },
    rate: { type: "string", default: "500" },
    seconds: { type: "string", default: "10" },
    kubelet: { type: "boolean", default: false },
    "cpu-prof": { type: "string", default: "" },
    binds: { type: "string", default: "64" },
  },
});
const NODES = Number(values.nodes);
const PODS = Number(values.pods);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const f1 = (x: number) => x.toFixed(1);

function pod(name: string): Pod {
  return Pod.fromPartial({
    metadata: emptyMeta({ name, namespace: "default", labels: { app: "bench" } }),
    spec: { containers: [{ name: "web", image: "127.0.0.1:5000/mk/web:v1", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: {} } }] },
  });
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (i > 400) throw new Error(`${url} did not answer`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A transport retry of a create whose first answer was lost finds the pod there: that is success. */
async function create(cs: Clientset, name: string): Promise<void> {
  try {
    await cs.pods.create(pod(name));
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
  }
}

/** Creates pods with `inflight` creates outstanding. */
async function createAll(cs: Clientset, names: string[], inflight = 64): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < names.length) await create(cs, names[next++]!);
    }),
  );
}

/** Watches pods and records when each is first seen bound (performance.now()). */
function watchBindings(cs: Clientset, fromVersion: string, signal: AbortSignal): Map<string, number> {
  const bound = new Map<string, number>();
  void (async () => {
    try {
      for await (const ev of cs.pods.watch({ namespace: "default", resourceVersion: fromVersion, signal })) {
        const name = ev.object.metadata?.name ?? "";
        if (ev.object.spec?.nodeName && !bound.has(name)) bound.set(name, performance.now());
      }
    } catch (err) {
      if (!signal.aborted) console.error("watch failed", err);
    }
  })();
  return bound;
}

/** A Prometheus histogram's cumulative buckets: [upper bound, count]. */
function histogram(text: string, name: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, "gm");
  for (let m = re.exec(text); m; m = re.exec(text)) out.push([m[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(m[1]), Number(m[2])]);
  return out;
}

/** The bucket bound below which a fraction q of the observations fall. */
function histQuantile(buckets: Array<[number, number]>, q: number): number {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  for (const [le, c] of buckets) if (c >= q * total) return le;
  return Number.NaN;
}

/** The API's own ceiling for Bind: n pods created, then bound straight from here, 256 in flight. */
async function directBinds(cs: Clientset, prefix: string, n: number, nodes: string[]): Promise<number> {
  const names = Array.from({ length: n }, (_, i) => `direct-${prefix}-${i}`);
  await createAll(cs, names);
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < names.length) {
        const i = next++;
        await cs.bind("default", names[i]!, nodes[i % nodes.length]!, "", { retry: false });
      }
    }),
  );
  return n / ((performance.now() - t) / 1000);
}

async function main(): Promise<void> {
  const etcd = await startNativeEtcd();
  const procs: ChildProcess[] = [];
  const abort = new AbortController();
  let kubelet: FakeKubelet | undefined;
  try {
    const port = await freePort();
    const apiHttp = await freePort();
    procs.push(
      spawn(
        process.execPath,
        // Node's flags as `mkctl cluster up` gives them (an 8 MB young generation).
        [...(NODE_FLAGS.apiserver ?? []), resolve(root, "apiserver/dist/main.js"), "--etcd-servers", etcd.endpoint, "--listen", `127.0.0.1:${port}`, "--http-listen", `127.0.0.1:${apiHttp}`, "--log-level", "warn"],
        { stdio: ["ignore", "inherit", "inherit"] },
      ),
    );
    await waitHttp(`http://127.0.0.1:${apiHttp}/readyz`);
    const cs = connect({ server: `127.0.0.1:${port}` });

    // Simulated nodes: 4 cpu, 8Gi, 110 pods each.
    const sim = simulatedNodes(NODES, { cpu: "4", memory: "8Gi", pods: "110" });
    if (values.kubelet) {
      kubelet = new FakeKubelet({ client: cs, nodes: sim, concurrency: 64 });
      await kubelet.start();
    } else {
      let next = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < sim.length) await cs.nodes.create(nodeObject(sim[next++]!));
        }),
      );
    }

    // 0. The API's Bind ceiling right before the bulk, for comparison (the machine's load varies).
    const bindRateBefore = await directBinds(cs, "before", Math.max(500, Math.floor(PODS / 5)), sim.map((x) => x.name));

    // 1. Bulk: PODS pending pods, then the scheduler starts.
    const tc = performance.now();
    await createAll(
      cs,
      Array.from({ length: PODS }, (_, i) => `bulk-${i}`),
    );
    const createdMs = performance.now() - tc;
    const rv = (await cs.pods.list({ namespace: "default", limit: 1 })).resourceVersion;
    const bound = watchBindings(cs, rv, abort.signal);

    const schedHttp = await freePort();
    const prof = values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof"]] : [];
    const sched = spawn(
      process.execPath,
      [...prof, resolve(root, "scheduler/dist/main.js"), "--server", `127.0.0.1:${port}`, "--http-listen", `127.0.0.1:${schedHttp}`, "--log-level", "warn", "--max-binds-in-flight", values.binds],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    procs.push(sched);
    const started = performance.now();
    await eventually("all bulk pods bound", () => bound.size >= PODS, 300_000, { everyMs: 5 });
    const times = [...bound.values()].sort((a, b) => a - b);
    const first = times[0]!;
    const last = times[times.length - 1]!;
    const bulkRate = (PODS - 1) / ((last - first) / 1000);
    const withStart = PODS / ((last - started) / 1000);

    // 2. Steady: open loop at RATE/s; latency from the create call to the binding seen by the watch.
    const metricsUrl = `http://127.0.0.1:${schedHttp}/metrics`;
    const histBefore = histogram(await (await fetch(metricsUrl)).text(), "scheduler_pod_scheduling_duration_seconds");
    const createLat: number[] = [];
    const n = RATE * SECONDS;
    const sent = new Map<string, number>();
    const t0 = performance.now();
    const creates: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const due = t0 + (i * 1000) / RATE;
      const delay = due - performance.now();
      if (delay > 1) await new Promise((r) => setTimeout(r, delay));
      const name = `steady-${i}`;
      sent.set(name, performance.now());
      const tc0 = performance.now();
      creates.push(create(cs, name).then(() => void createLat.push(performance.now() - tc0)));
    }
    await Promise.all(creates);
    const achieved = n / ((performance.now() - t0) / 1000);
    await eventually("all steady pods bound", () => [...sent.keys()].every((k) => bound.has(k)), 120_000, { everyMs: 5 });
    const lat = [...sent].map(([k, t]) => bound.get(k)! - t).sort((a, b) => a - b);
    createLat.sort((a, b) => a - b);
    const histAfter = histogram(await (await fetch(metricsUrl)).text(), "scheduler_pod_scheduling_duration_seconds");
    const inScheduler = histAfter.map(([le, c], i) => [le, c - (histBefore[i]?.[1] ?? 0)] as [number, number]);

    const metricsText = await (await fetch(`http://127.0.0.1:${schedHttp}/metrics`)).text();
    // 3. Limits. The pipeline alone: the same nodes and pods, no I/O.
    const infos = sim.map((n) => {
      const ni = new NodeInfo(n.name);
      ni.setNode(nodeObject(n));
      return ni;
    });
    const byName = new Map(infos.map((ni) => [ni.name, ni]));
    let start = 0;
    const tp = performance.now();
    for (let i = 0; i < PODS; i++) {
      const p = pod(`pipe-${i}`);
      p.metadata!.uid = `uid-${i}`;
      const pi = podInfoOf(p);
      const out = schedulePod(p, infos, undefined, start, pi);
      start = out.nextStartIndex;
      if (out.result.kind === "Scheduled") byName.get(out.result.nodeName)?.addPod(pi);
    }
    const pipelineRate = PODS / ((performance.now() - tp) / 1000);
    // The API's Bind ceiling again, now that the scheduler is stopped.
    sched.kill("SIGTERM");
    await new Promise((r) => sched.once("exit", r));
    const bindRate = await directBinds(cs, "after", Math.max(500, Math.floor(PODS / 5)), sim.map((x) => x.name));

    const metrics = metricsText;
    const attempt = /scheduler_scheduling_attempt_duration_seconds_sum\{result="Scheduled"\} ([\d.e-]+)/.exec(metrics);
    const attempts = /scheduler_scheduling_attempt_duration_seconds_count\{result="Scheduled"\} (\d+)/.exec(metrics);
    const perPodUs = attempt && attempts ? (Number(attempt[1]) / Number(attempts[1])) * 1e6 : Number.NaN;

    console.log(`mk-scheduler --max-binds-in-flight ${values.binds}`);
    console.log(`nodes ${NODES}${values.kubelet ? " (with fake kubelet)" : " (Node objects only)"}; ${PODS} bulk pods created in ${f1(createdMs)} ms`);
    console.log(
      `bulk: ${PODS} pods bound in ${f1(last - first)} ms from the first bind: ${f1(bulkRate)} pods/s; ` +
        `${f1(withStart)} pods/s counting the scheduler's start and informer sync (${f1(last - started)} ms)`,
    );
    console.log(
      `steady: ${RATE}/s for ${SECONDS}s (achieved ${f1(achieved)}/s): creation→binding p50 ${f1(pct(lat, 50))} ms, p99 ${f1(pct(lat, 99))} ms, max ${f1(lat[lat.length - 1] ?? 0)} ms`,
    );
    console.log(
      `steady, where the time goes: the create call alone p50 ${f1(pct(createLat, 50))} ms, p99 ${f1(pct(createLat, 99))} ms; ` +
        `in mk-scheduler (queue → Bind answered) p50 ≤ ${histQuantile(inScheduler, 0.5) * 1000} ms, p99 ≤ ${histQuantile(inScheduler, 0.99) * 1000} ms`,
    );
    console.log(`pipeline (filter+score) per pod inside mk-scheduler: ${f1(perPodUs)} µs mean (wall clock, CPU shared with the API server)`);
    console.log(`limits: the pipeline alone ${f1(pipelineRate)} pods/s on ${NODES} nodes; Bind straight to the API ${f1(bindRateBefore)} binds/s before the bulk, ${f1(bindRate)} after (256 in flight)`);
    abort.abort();
    cs.close();
  } finally {
    abort.abort();
    for (const p of procs.reverse()) p.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    await kubelet?.stop();
    await etcd.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
