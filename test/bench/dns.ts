// Cluster DNS benchmark: answer latency p50/p99 of the DNS server inside a real mk-apiserver process
// (native etcd), asked over UDP on loopback one query at a time, and its queries/s with many queries
// in flight; also over TCP (one connection per query) and for a forwarded name (a stub upstream on
// loopback). 100 ClusterIP Services and a headless one of 20 pods are in the zone. Usage:
//   node test/dist/bench/dns.js [--queries 5000] [--seconds 5] [--inflight 64]
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { emptyMeta, SERVICE_NAME_LABEL } from "@mk/proto";
import { connect } from "@mk/proto/client";
import { encodeQuery, exchange, query, startStubUpstream } from "../harness/dns.js";
import { freePort } from "../harness/etcd.js";
import { startNativeEtcd } from "../harness/etcd-native.js";
import { serviceObject } from "../harness/service.js";

const { values } = parseArgs({ options: { queries: { type: "string", default: "5000" }, seconds: { type: "string", default: "5" }, inflight: { type: "string", default: "64" } } });
const QUERIES = Number(values.queries);
const SECONDS = Number(values.seconds);
const INFLIGHT = Number(values.inflight);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (i > 600) throw new Error(`${url} did not answer`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function latency(label: string, port: number, names: string[], n: number, transport: "udp" | "tcp"): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const name = names[i % names.length] ?? "";
    const t0 = process.hrtime.bigint();
    const r = await query(port, name, "A", { transport });
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.rcode !== "NOERROR" && r.rcode !== "NXDOMAIN") throw new Error(`${name}: ${r.rcode}`);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label.padEnd(34)} n=${n}  p50 ${pct(ms, 50).toFixed(3)} ms  p99 ${pct(ms, 99).toFixed(3)} ms  max ${(ms[ms.length - 1] ?? 0).toFixed(3)} ms`);
}

/** Queries/s over one UDP socket with `inflight` queries outstanding, for `seconds`. */
async function throughput(port: number, names: string[]): Promise<void> {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  let answered = 0;
  let next = 0;
  const end = Date.now() + SECONDS * 1000;
  const send = () => {
    const id = next++ % 65536;
    sock.send(encodeQuery(names[id % names.length] ?? "", "A", { id }), port, "127.0.0.1");
  };
  const t0 = performance.now();
  await new Promise<void>((resolveDone) => {
    sock.on("message", () => {
      answered++;
      if (Date.now() < end) send();
      else if (answered === next) resolveDone();
    });
    for (let i = 0; i < INFLIGHT; i++) send();
    // UDP may drop under load: stop waiting for stragglers a second after the end.
    setTimeout(resolveDone, SECONDS * 1000 + 1000);
  });
  const secs = (performance.now() - t0) / 1000;
  sock.close();
  console.log(`${"UDP throughput".padEnd(34)} ${INFLIGHT} in flight: ${Math.round(answered / secs)} queries/s (${answered} in ${secs.toFixed(1)} s, ${next - answered} unanswered)`);
}

async function main(): Promise<void> {
  const etcd = await startNativeEtcd();
  const upstream = await startStubUpstream({ "example.test": "192.0.2.10" });
  const apiPort = await freePort();
  const httpPort = await freePort();
  const dnsPort = await freePort();
  const procs: ChildProcess[] = [];
  try {
    procs.push(
      spawn(
        process.execPath,
        [
          resolve(root, "apiserver/dist/main.js"),
          ...["--etcd-servers", etcd.endpoint, "--listen", `127.0.0.1:${apiPort}`, "--http-listen", `127.0.0.1:${httpPort}`, "--log-level", "warn"],
          ...["--dns-port", String(dnsPort), "--dns-upstream", `127.0.0.1:${upstream.port}`],
        ],
        { stdio: ["ignore", "inherit", "inherit"] },
      ),
    );
    await waitHttp(`http://127.0.0.1:${httpPort}/readyz`);
    const cs = connect({ server: `127.0.0.1:${apiPort}` });
    for (let i = 0; i < 100; i++) await cs.services.create(serviceObject(`svc-${i}`));
    await cs.services.create(serviceObject("pods", { clusterIp: "None" }));
    await cs.endpointSlices.create({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: emptyMeta({ name: "pods-1", namespace: "default", labels: { [SERVICE_NAME_LABEL]: "pods" } }),
      addressType: "IPv4",
      endpoints: Array.from({ length: 20 }, (_, i) => ({ addresses: [`10.244.0.${i + 1}`], conditions: { ready: true, serving: true, terminating: false }, hostname: `pod-${i}`, targetRef: undefined })),
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    });
    cs.close();
    const names = Array.from({ length: 100 }, (_, i) => `svc-${i}.default.svc.cluster.local`);
    // Wait until the last Service answers (the server's cache follows the watch hub).
    for (let i = 0; (await query(dnsPort, "pods.default.svc.cluster.local", "A")).rcode !== "NOERROR"; i++) {
      if (i > 200) throw new Error("the zone never had the Services");
      await new Promise((r) => setTimeout(r, 50));
    }
    // Warm-up (JIT), not counted.
    for (let i = 0; i < 500; i++) await exchange(dnsPort, encodeQuery(names[i % 100] ?? "", "A"));
    await latency("UDP, ClusterIP A", dnsPort, names, QUERIES, "udp");
    await latency("UDP, headless A (20 pods)", dnsPort, ["pods.default.svc.cluster.local"], Math.round(QUERIES / 5), "udp");
    await latency("UDP, NXDOMAIN in the zone", dnsPort, ["nosuch.default.svc.cluster.local"], Math.round(QUERIES / 5), "udp");
    await latency("UDP, forwarded (stub upstream)", dnsPort, ["example.test"], Math.round(QUERIES / 5), "udp");
    await latency("TCP (connection per query), A", dnsPort, names, Math.round(QUERIES / 5), "tcp");
    await throughput(dnsPort, names);
  } finally {
    for (const p of procs.reverse()) p.kill("SIGTERM");
    await upstream.stop();
    await etcd.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
