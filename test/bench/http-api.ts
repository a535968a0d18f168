// The Kubernetes HTTP API beside gRPC (issue 11): a real etcd and a real mk-apiserver process with
// mutual TLS as `mkctl cluster up` runs it (the front door routes each connection by its ALPN offer),
// the load generator in this process. Three measurements:
//   get    `kubectl get pods` (kubectl.1.32, warm and cold --cache-dir) beside `mkctl get pods`, with
//          --pods pods in the namespace (created through the API; no kubelet: they need not run);
//          wall time of each command, round-robin, median of --runs.
//   create creates/s with --inflight always outstanding: gRPC (mkctl's client) beside HTTP/2 with a
//          JSON body (one connection, as client-go multiplexes) and, for Deployments, a Kubernetes
//          protobuf body (what `kubectl create deployment` sends). Pods and Deployments (no
//          controller runs: a create is a create).
//   watch  --watchers HTTP watches of one namespace's ConfigMaps, each on its own connection (as many
//          clients would); --writes creates paced every --every ms; the delay from a write's start to
//          its delivery to each watcher (p50, p99, max). The same with gRPC watchers, for comparison.
// Usage: node test/dist/bench/http-api.js [--only get,create,watch] [--pods 100] [--runs 7]
//          [--inflight 64] [--total 5000] [--watchers 100] [--writes 200] [--every 50] [--etcd-in-memory]
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { connect as http2Connect, type ClientHttp2Session } from "node:http2";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { readFileSync } from "node:fs";
import { ConfigMap, Deployment, Pod, emptyMeta } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { initPki, type Pki } from "@mk/kubectl/cluster/pki.js";
import { NODE_FLAGS } from "@mk/kubectl/cluster/binaries.js";
import { writeContext } from "@mk/kubectl/config.js";
import { freePort } from "../harness/etcd.js";
import { startNativeEtcd } from "../harness/etcd-native.js";

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    only: { type: "string", default: "get,create,watch" },
    pods: { type: "string", default: "100" },
    runs: { type: "string", default: "7" },
    inflight: { type: "string", default: "64" },
    total: { type: "string", default: "5000" },
    rounds: { type: "string", default: "3" },
    watchers: { type: "string", default: "100" },
    writes: { type: "string", default: "200" },
    every: { type: "string", default: "50" },
    "etcd-in-memory": { type: "boolean", default: false },
  },
});
const only = new Set((values.only ?? "").split(","));
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const f = (x: number) => x.toFixed(1);
const median = (xs: number[]) => pct([...xs].sort((a, b) => a - b), 50);

interface Target {
  address: string;
  pki: Pki;
}

/** One HTTP/2 connection offering h2 and http/1.1 (so the front door routes it to the HTTP edge). */
function httpSession(t: Target): ClientHttp2Session {
  const [host = "", port = ""] = t.address.split(":");
  return http2Connect(`https://${t.address}`, {
    createConnection: () =>
      tlsConnect({ host, port: Number(port), servername: "localhost", ca: readFileSync(t.pki.ca.cert), cert: readFileSync(t.pki.admin.cert), key: readFileSync(t.pki.admin.key), ALPNProtocols: ["h2", "http/1.1"] }),
  });
}

function post(session: ClientHttp2Session, path: string, body: Buffer | string, contentType: string): Promise<number> {
  return new Promise((resolvePost, reject) => {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": contentType, accept: "application/json" });
    let status = 0;
    stream.on("response", (h) => {
      status = Number(h[":status"]);
    });
    let text = "";
    stream.on("data", (c: Buffer) => {
      text += c.toString("utf8");
    });
    stream.on("end", () => (status === 201 ? resolvePost(status) : reject(new Error(`POST ${path}: ${status} ${text}`))));
    stream.on("error", reject);
    stream.end(body);
  });
}

// ---- objects, in the three encodings ----

const podJson = (name: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", labels: { app: "bench" } }, spec: { containers: [{ name: "web", image: "mk/web:v1" }] } });
const podProto = (name: string, namespace = "default") => Pod.fromPartial({ metadata: emptyMeta({ name, namespace, labels: { app: "bench" } }), spec: { containers: [{ name: "web", image: "mk/web:v1" }] } });
const deploymentJson = (name: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "default", labels: { app: "bench" } },
  spec: { replicas: 1, selector: { matchLabels: { app: "bench" } }, template: { metadata: { labels: { app: "bench" } }, spec: { containers: [{ name: "web", image: "mk/web:v1" }] } } },
});
const deploymentProto = (name: string) =>
  Deployment.fromPartial({
    metadata: emptyMeta({ name, namespace: "default", labels: { app: "bench" } }),
    spec: { replicas: 1, selector: { matchLabels: { app: "bench" }, matchExpressions: [] }, template: { metadata: emptyMeta({ labels: { app: "bench" } }), spec: { containers: [{ name: "web", image: "mk/web:v1" }] } } },
  });

/** Kubernetes' protobuf wire format, the little of it a Deployment needs. */
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}
const bytesField = (num: number, b: Buffer | string) => {
  const buf = typeof b === "string" ? Buffer.from(b) : b;
  return Buffer.concat([varint((num << 3) | 2), varint(buf.length), buf]);
};
const intField = (num: number, v: number) => Buffer.concat([varint(num << 3), varint(v)]);
const mapField = (num: number, m: Record<string, string>) => Buffer.concat(Object.entries(m).map(([k, v]) => bytesField(num, Buffer.concat([bytesField(1, k), bytesField(2, v)]))));

function deploymentProtobuf(name: string): Buffer {
  const labels = { app: "bench" };
  const meta = Buffer.concat([bytesField(1, name), bytesField(3, "default"), mapField(11, labels)]);
  const container = Buffer.concat([bytesField(1, "web"), bytesField(2, "mk/web:v1")]);
  const template = Buffer.concat([bytesField(1, mapField(11, labels)), bytesField(2, bytesField(2, container))]);
  const spec = Buffer.concat([intField(1, 1), bytesField(2, mapField(1, labels)), bytesField(3, template)]);
  const raw = Buffer.concat([bytesField(1, meta), bytesField(2, spec)]);
  const typeMeta = Buffer.concat([bytesField(1, "apps/v1"), bytesField(2, "Deployment")]);
  return Buffer.concat([Buffer.from("k8s\0"), bytesField(1, typeMeta), bytesField(2, raw)]);
}

// ---- (a) kubectl get pods beside mkctl get pods ----

async function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, lines: number): Promise<number> {
  const t0 = performance.now();
  const out = await run(cmd, args, { env, maxBuffer: 16 << 20 });
  const ms = performance.now() - t0;
  const got = out.stdout.trim().split("\n").length;
  if (got !== lines) throw new Error(`${cmd} ${args.join(" ")}: ${got} lines, not ${lines}\n${out.stdout}${out.stderr}`);
  return ms;
}

async function benchGet(t: Target, admin: Clientset, work: string): Promise<void> {
  const pods = Number(values.pods);
  for (let i = 0; i < pods; i += 20) await Promise.all(Array.from({ length: Math.min(20, pods - i) }, (_, j) => admin.pods.create(podProto(`get-${i + j}`, "bench-get"))));
  const config = join(work, "kubeconfig");
  writeContext({ name: "bench", server: `https://${t.address}`, certificateAuthority: t.pki.ca.cert, clientCertificate: t.pki.admin.cert, clientKey: t.pki.admin.key, namespace: "bench-get" }, config);
  const onPath = (await run("bash", ["-c", "command -v kubectl"])).stdout.trim();
  const kubectl = join(dirname(realpathSync(onPath)), "kubectl.1.32");
  if (!existsSync(kubectl)) throw new Error(`kubectl 1.32 is missing: ${kubectl}`);
  const env = { PATH: process.env.PATH ?? "", HOME: work, KUBECONFIG: config, MK_CONFIG: config };
  const warmCache = join(work, "cache-warm");
  const mkctl = join(root, "kubectl/dist/main.js");
  const commands: { name: string; run: (i: number) => Promise<number> }[] = [
    { name: "kubectl.1.32 get pods (warm --cache-dir)", run: () => timed(kubectl, ["get", "pods", "--cache-dir", warmCache], env, pods + 1) },
    { name: "kubectl.1.32 get pods (cold --cache-dir)", run: (i) => timed(kubectl, ["get", "pods", "--cache-dir", join(work, `cache-cold-${i}`)], env, pods + 1) },
    { name: "mkctl get pods", run: () => timed(process.execPath, [mkctl, "get", "pods"], env, pods + 1) },
  ];
  // One untimed run of each: the warm cache filled, the page cache and mkctl's compile cache warm.
  for (const c of commands) await c.run(-1);
  const times = new Map<string, number[]>(commands.map((c) => [c.name, []]));
  const runs = Number(values.runs);
  for (let i = 0; i < runs; i++) for (const c of commands) times.get(c.name)?.push(await c.run(i));
  console.log(`\n(a) get pods with ${pods} pods, ${runs} runs each, round-robin (load ${loadavg().map((l) => l.toFixed(2)).join(" ")} at the end)`);
  console.log("| command | wall median ms | min ms | max ms |\n| --- | ---: | ---: | ---: |");
  for (const [name, ms] of times) console.log(`| ${name} | ${f(median(ms))} | ${f(Math.min(...ms))} | ${f(Math.max(...ms))} |`);
}

// ---- (b) creates/s with 64 in flight ----

async function closedLoop(total: number, inflight: number, create: (i: number) => Promise<unknown>): Promise<{ rate: number; lat: number[] }> {
  let next = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < total) {
        const i = next++;
        const s = performance.now();
        await create(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { rate: total / ((performance.now() - t0) / 1000), lat };
}

async function benchCreate(t: Target, admin: Clientset): Promise<void> {
  const total = Number(values.total);
  const inflight = Number(values.inflight);
  const session = httpSession(t);
  const variants: { name: string; create: (name: string) => Promise<unknown> }[] = [
    { name: "Pod, gRPC", create: (n) => admin.pods.create(podProto(n)) },
    { name: "Pod, HTTP JSON", create: (n) => post(session, "/api/v1/namespaces/default/pods", JSON.stringify(podJson(n)), "application/json") },
    { name: "Deployment, gRPC", create: (n) => admin.deployments.create(deploymentProto(n)) },
    { name: "Deployment, HTTP JSON", create: (n) => post(session, "/apis/apps/v1/namespaces/default/deployments", JSON.stringify(deploymentJson(n)), "application/json") },
    { name: "Deployment, HTTP protobuf", create: (n) => post(session, "/apis/apps/v1/namespaces/default/deployments", deploymentProtobuf(n), "application/vnd.kubernetes.protobuf") },
  ];
  const rounds = Number(values.rounds);
  console.log(`\n(b) creates with ${inflight} in flight, ${total} per run after ${Math.min(total, 1000)} unmeasured, ${rounds} rounds of the variants in turn (load ${loadavg()[0]?.toFixed(2)} at the start)`);
  const results = new Map<string, { rate: number; p50: number; p99: number }[]>(variants.map((v) => [v.name, []]));
  for (const [k, v] of variants.entries()) await closedLoop(Math.min(total, 1000), inflight, (i) => v.create(`warm${k}-${i}`));
  for (let r = 0; r < rounds; r++) {
    for (const [k, v] of variants.entries()) {
      const { rate, lat } = await closedLoop(total, inflight, (i) => v.create(`c${r}-${k}-${i}`));
      results.get(v.name)?.push({ rate, p50: pct(lat, 50), p99: pct(lat, 99) });
      console.log(`round ${r + 1}: ${v.name}: ${f(rate)}/s, p50 ${f(pct(lat, 50))} ms, p99 ${f(pct(lat, 99))} ms (load ${loadavg()[0]?.toFixed(2)})`);
    }
  }
  console.log("| variant | creates/s, median of rounds (each round) | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |");
  for (const [name, rs] of results) console.log(`| ${name} | ${f(median(rs.map((x) => x.rate)))} (${rs.map((x) => x.rate.toFixed(0)).join(", ")}) | ${f(median(rs.map((x) => x.p50)))} | ${f(median(rs.map((x) => x.p99)))} |`);
  session.close();
}

// ---- (c) write → delivery to 100 watchers ----

async function benchWatch(t: Target, admin: Clientset): Promise<void> {
  const watchers = Number(values.watchers);
  const writes = Number(values.writes);
  const every = Number(values.every);
  for (const edge of ["HTTP", "gRPC"] as const) {
    const ns = `bench-watch-${edge.toLowerCase()}`;
    const rv = (await admin.resource("ConfigMap").list({ namespace: ns })).resourceVersion;
    const sent = new Map<string, number>();
    const delays: number[] = [];
    let ready = 0;
    const closers: (() => void)[] = [];
    const deliver = (name: string) => {
      if (name === "ready") ready++;
      const s = sent.get(name);
      if (s !== undefined) delays.push(performance.now() - s);
    };
    if (edge === "HTTP") {
      for (let w = 0; w < watchers; w++) {
        const session = httpSession(t);
        closers.push(() => session.destroy());
        const stream = session.request({ ":method": "GET", ":path": `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${rv}`, accept: "application/json" });
        let buf = "";
        stream.on("data", (c: Buffer) => {
          buf += c.toString("utf8");
          let nl = buf.indexOf("\n");
          while (nl >= 0) {
            const ev = JSON.parse(buf.slice(0, nl)) as { type: string; object: { metadata?: { name?: string } } };
            if (ev.type === "ADDED") deliver(ev.object.metadata?.name ?? "");
            buf = buf.slice(nl + 1);
            nl = buf.indexOf("\n");
          }
        });
        stream.on("error", () => undefined);
      }
    } else {
      for (let w = 0; w < watchers; w++) {
        const cs = connect({ server: t.address, tls: { ca: readFileSync(t.pki.ca.cert), cert: readFileSync(t.pki.admin.cert), key: readFileSync(t.pki.admin.key) } });
        const watch = cs.resource("ConfigMap").watch({ namespace: ns, resourceVersion: rv });
        closers.push(() => {
          void watch.return(undefined);
          cs.close();
        });
        void (async () => {
          try {
            for await (const ev of watch) if (ev.type === "ADDED") deliver(ev.object.metadata?.name ?? "");
          } catch {
            // closed at the end
          }
        })();
      }
    }
    // Every watch established: each has seen the first object.
    await admin.resource("ConfigMap").create(ConfigMap.fromPartial({ metadata: emptyMeta({ name: "ready", namespace: ns }), data: {} }));
    const readyBy = performance.now() + 60_000;
    while (ready < watchers) {
      if (performance.now() > readyBy) throw new Error(`${edge}: only ${ready} of ${watchers} watches delivered the first object`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const writeLat: number[] = [];
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < writes; i++) {
      const due = t0 + i * every;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const name = `w-${i}`;
      const s = performance.now();
      sent.set(name, s);
      pending.push(admin.resource("ConfigMap").create(ConfigMap.fromPartial({ metadata: emptyMeta({ name, namespace: ns }), data: { i: String(i) } })).then(() => void writeLat.push(performance.now() - s)));
    }
    await Promise.all(pending);
    const deadline = performance.now() + 30_000;
    while (delays.length < writes * watchers && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const c of closers) c();
    delays.sort((a, b) => a - b);
    writeLat.sort((a, b) => a - b);
    console.log(
      `\n(c) ${edge}: ${watchers} watchers, ${writes} creates every ${every} ms: ${delays.length}/${writes * watchers} deliveries; write start → delivery p50 ${f(pct(delays, 50))} ms, p99 ${f(pct(delays, 99))} ms, max ${f(delays.at(-1) ?? Number.NaN)} ms; the creates' own latency p50 ${f(pct(writeLat, 50))} ms, p99 ${f(pct(writeLat, 99))} ms (load ${loadavg()[0]?.toFixed(2)})`,
    );
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "mk-bench-http-"));
  const etcd = await startNativeEtcd(values["etcd-in-memory"] ? "/dev/shm" : undefined);
  const pki = (await initPki({ dir: join(work, "pki"), advertiseAddress: "127.0.0.1", tokenTtlSeconds: 600 })).pki;
  const port = await freePort();
  const httpPort = await freePort();
  const api = spawn(
    process.execPath,
    [
      ...(process.env.MK_BENCH_NODE_ARGS ? process.env.MK_BENCH_NODE_ARGS.split(" ") : (NODE_FLAGS.apiserver ?? [])),
      ...(process.env.MK_BENCH_PROF_DIR ? ["--cpu-prof", "--cpu-prof-dir", process.env.MK_BENCH_PROF_DIR] : []),
      resolve(root, "apiserver/dist/main.js"),
      "--etcd-servers",
      etcd.endpoint,
      "--listen",
      `127.0.0.1:${port}`,
      "--http-listen",
      `127.0.0.1:${httpPort}`,
      "--tls-cert",
      pki.apiserver.cert,
      "--tls-key",
      pki.apiserver.key,
      "--client-ca",
      pki.ca.cert,
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const t: Target = { address: `127.0.0.1:${port}`, pki };
  let admin: Clientset | undefined;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok) break;
      } catch {
        // not up yet
      }
      if (i > 400) throw new Error("apiserver did not become ready");
      await new Promise((r) => setTimeout(r, 50));
    }
    admin = connect({ server: t.address, tls: { ca: readFileSync(pki.ca.cert), cert: readFileSync(pki.admin.cert), key: readFileSync(pki.admin.key) } });
    for (const ns of ["bench-get", "bench-watch-http", "bench-watch-grpc"]) await admin.namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: emptyMeta({ name: ns }), spec: { finalizers: [] }, status: { phase: "" } } as never);
    console.log(`node ${process.version}; load ${loadavg().map((l) => l.toFixed(2)).join(" ")} at the start; etcd ${values["etcd-in-memory"] ? "in /dev/shm" : "on disk"}`);
    if (only.has("get")) await benchGet(t, admin, work);
    if (only.has("create")) await benchCreate(t, admin);
    if (only.has("watch")) await benchWatch(t, admin);
  } finally {
    admin?.close();
    api.kill("SIGTERM");
    await new Promise((r) => api.once("exit", r));
    await etcd.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
