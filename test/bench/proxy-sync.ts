// Node proxy benchmark: an endpoint turning ready → its DNAT rule in place, p50/p99, with 100
// Services × 10 endpoints. A real etcd and an in-process API server; the real Proxier (informers,
// batching, ruleset, iptables-restore) writing into a network namespace this bench makes and removes
// (`ip netns exec`), so the host's rules are never touched. The EndpointSlices are written by the
// bench, standing for the endpoint controller (an endpoint's `ready` flips as its pod turns Ready).
// Each trial flips one not-ready endpoint of a different Service to ready and polls the proxy's last
// written text until that endpoint's DNAT is in it (its iptables-restore returned: the kernel has
// it; the last trial's chain is checked with iptables-save at the end); trials are spaced 0–1.5 s at
// random (arrivals, not a burst).
// Usage: node test/dist/bench/proxy-sync.js [--trials 100]
import { execFile } from "node:child_process";
import { parseArgs } from "node:util";
import { sepChain } from "@mk/kubelet/proxy/ruleset.js";
import type { ProxyKernel } from "@mk/kubelet/proxy/kernel.js";
import type { Ownership } from "@mk/kubelet/proxy/owner.js";
import { Proxier } from "@mk/kubelet/proxy/proxier.js";
import { type EndpointSlice, emptyMeta, type Service } from "@mk/proto";
import { connect } from "@mk/proto/client";
import { pino } from "pino";
import { startTestApiServer } from "../harness/apiserver.js";

const { values } = parseArgs({ options: { trials: { type: "string", default: "100" }, services: { type: "string", default: "100" }, endpoints: { type: "string", default: "10" } } });
const TRIALS = Number(values.trials);
const SERVICES = Number(values.services);
const ENDPOINTS = Number(values.endpoints);
const NS = `mkbench-proxy-${process.pid}`;

function sh(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout: String(stdout), stderr: String(stderr) }));
    if (input !== undefined) c.stdin?.end(input);
  });
}
const inNs = (cmd: string, args: string[], input?: string) => sh("ip", ["netns", "exec", NS, cmd, ...args], input);

async function must(p: Promise<{ code: number; stdout: string; stderr: string }>, what: string): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what}: ${r.stderr}`);
  return r.stdout;
}

/** The proxy's kernel side, in the bench's namespace (the same commands the kubelet runs). */
const kernel: ProxyKernel = {
  async natChains(names) {
    const save = await must(inNs("iptables-save", ["-t", "nat"]), "iptables-save");
    return save
      .split("\n")
      .filter((l) => l.startsWith(`:${names.svcPrefix}`) || l.startsWith(`:${names.sepPrefix}`))
      .map((l) => l.slice(1).split(" ")[0] ?? "");
  },
  async write(text, jumps) {
    await must(inNs("iptables-restore", ["-w", "--noflush"], text), "iptables-restore");
    for (const j of jumps ?? []) {
      const spec = [j.parent, "-m", "comment", "--comment", j.comment, "-j", j.chain];
      if ((await inNs("iptables", ["-w", "-t", j.table, "-C", ...spec])).code !== 0) await must(inNs("iptables", ["-w", "-t", j.table, "-I", ...spec]), "jump");
    }
  },
  async clearUdp() {},
};

/** The only writer in its own namespace. */
const owned: Ownership = { owned: true, acquire: async () => true, onLost: () => undefined, release: () => undefined };

const ip = (s: number, e: number) => `10.${100 + Math.floor(s / 250)}.${s % 250}.${e + 1}`;

function service(i: number): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: emptyMeta({ name: `svc-${i}`, namespace: "default" }),
    spec: { ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: "8080", nodePort: 0 }], selector: {}, clusterIp: "", clusterIps: [], type: "ClusterIP", sessionAffinity: "None", publishNotReadyAddresses: false, externalTrafficPolicy: "", internalTrafficPolicy: "" },
    status: undefined,
  };
}

function slice(i: number, readyCount: number): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: emptyMeta({ name: `svc-${i}-bench`, namespace: "default", labels: { "kubernetes.io/service-name": `svc-${i}` } }),
    addressType: "IPv4",
    ports: [{ name: "http", protocol: "TCP", port: 8080 }],
    endpoints: Array.from({ length: ENDPOINTS }, (_, e) => ({ addresses: [ip(i, e)], conditions: { ready: e < readyCount, serving: e < readyCount, terminating: false } })),
  };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

async function main(): Promise<void> {
  await must(sh("ip", ["netns", "add", NS]), "ip netns add");
  const api = await startTestApiServer({ serviceClusterIpRange: "10.96.0.0/16" });
  const abort = new AbortController();
  try {
    const cs = connect({ server: api.address });
    for (let i = 0; i < SERVICES; i++) {
      await cs.services.create(service(i));
      await cs.resource("EndpointSlice").create(slice(i, ENDPOINTS - 1));
    }
    const proxier = new Proxier(cs, { clusterId: `bench-${process.pid}`, clusterCidr: "10.100.0.0/14" }, owned, pino({ level: "warn" }), kernel);
    const running = proxier.run(abort.signal);
    const t0 = Date.now();
    while (proxier.lastRules.nat < SERVICES * (1 + 2 * (ENDPOINTS - 1))) await new Promise((r) => setTimeout(r, 50));
    console.log(`initial ruleset in place: ${proxier.lastRules.nat} nat rules, ${Date.now() - t0} ms after start`);
    const latencies: number[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const i = t % SERVICES;
      const cur = await cs.resource("EndpointSlice").get(`svc-${i}-bench`, "default");
      const next = { ...cur, endpoints: cur.endpoints.map((e, k) => (k === ENDPOINTS - 1 ? { ...e, conditions: { ready: true, serving: true, terminating: false } } : e)) };
      const chain = sepChain(proxier.names, { name: `default/svc-${i}:http`, protocol: "TCP" }, { ip: ip(i, ENDPOINTS - 1), port: 8080 });
      const start = performance.now();
      await cs.resource("EndpointSlice").update(next);
      // In place = the iptables-restore carrying it returned (the kernel committed it). Polling the
      // kernel itself (iptables -S, 1-6 s on a loaded host with iptables-nft) would measure the probe.
      const want = `-A ${chain} -p tcp`;
      while (!proxier.lastWritten.includes(want)) {
        if (performance.now() - start > 60_000) throw new Error(`trial ${t}: no rule for ${chain} after 60 s`);
        await new Promise((r2) => setTimeout(r2, 2));
      }
      latencies.push(performance.now() - start);
      if (t === 0 && !(await must(inNs("iptables-save", ["-t", "nat"]), "iptables-save")).includes(want)) throw new Error(`${want}: written but not in the kernel`);
      // Back to not ready for a later round, then a random pause.
      const again = await cs.resource("EndpointSlice").get(`svc-${i}-bench`, "default");
      await cs.resource("EndpointSlice").update({ ...again, endpoints: again.endpoints.map((e, k) => (k === ENDPOINTS - 1 ? { ...e, conditions: { ready: false, serving: false, terminating: false } } : e)) });
      await new Promise((r) => setTimeout(r, Math.random() * 1500));
    }
    console.log(`endpoint ready → rule in place, ${TRIALS} trials, ${SERVICES} Services × ${ENDPOINTS} endpoints: p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms; syncs ${proxier.syncs}, ${proxier.lastRules.nat} nat rules`);
    abort.abort();
    await running;
    cs.close();
  } finally {
    abort.abort();
    await api.stop();
    await sh("ip", ["netns", "del", NS]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
