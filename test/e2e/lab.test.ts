// The lab, end to end through the mkctl binary (issue 6): three isolated nodes, each a network
// namespace with its own dockerd and kubelet; a deployment of 6 spreads over them, each pod in its
// node's own engine with an IP of the podCIDR node IPAM gave its Node out of a non-default
// --cluster-cidr (issue 10); each node routes the other nodes' podCIDRs via their InternalIPs, a pod
// on node 1 reaches a pod on node 3 by pod IP, and the host reaches pods too. Cut one node's
// link: within 30 s on a quiet machine (lab settings: grace 10 s, toleration 10 s; the test allows
// 60 s) its pods run on the other two. Heal it: it is Ready again and its kubelet removes the stale
// containers of the pods that moved. Services across nodes (issue 10): a busybox pod on node 1
// reaches a Service whose only endpoint is on node 3 by name (its DNS through kube-dns's ClusterIP,
// UDP, to the API server's listener on the bridge) and by pod IP; the NodePort answers on the three
// node addresses; node 3 cut, the pod is replaced on node 2 and the name answers again.
// `cluster down` removes the namespaces, veths and bridge. Needs root (ip netns, nsenter, dockerd).
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { freeClusterCidr } from "../harness/cluster-cidr.js";
import { startStubUpstream, type StubUpstream } from "../harness/dns.js";
import { eventually } from "../harness/wait.js";
import { clusterPorts } from "./cluster.js";
import { MKCTL, REPO, mkctl } from "./mkctl.js";

const ROOT = process.getuid?.() === 0;
let home = "";
let env: NodeJS.ProcessEnv = {};
// Names unique to this run: netns mk-<prefix>-N, node names <prefix>-N.
const prefix = `lab${process.pid}`;
const nodes = [1, 2, 3].map((i) => `${prefix}-${i}`);

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}
interface Node {
  metadata: { name: string };
  spec: { podCIDR?: string; podCIDRs?: string[] };
  status: { conditions?: { type: string; status: string }[]; addresses?: { type: string; address: string }[] };
}

function sh(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function list<T>(kind: string): Promise<T[]> {
  const r = await mkctl(env, ["get", kind, "-o", "json"]);
  if (r.code !== 0) throw new Error(`mkctl get ${kind}: ${r.stderr}`);
  const out = r.stdout.trim();
  if (!out) return [];
  const doc = JSON.parse(out) as { items?: T[] } & T;
  return doc.items ?? [doc];
}

const ready = (c?: { type: string; status: string }[]) => c?.some((x) => x.type === "Ready" && x.status === "True") === true;

/**
 * `mkctl get pods -w -o json`, kept running: the pods as they change, without starting a process
 * per look (on a loaded machine one `mkctl get` takes seconds, which would blur the measured times).
 */
class PodWatch {
  readonly pods = new Map<string, Pod>();
  private readonly child: ChildProcessWithoutNullStreams;
  private buf = "";
  private waiters: (() => void)[] = [];

  constructor() {
    this.child = spawn(process.execPath, [MKCTL, "get", "pods", "-w", "-o", "json"], { env: { ...process.env, ...env }, cwd: REPO });
    this.child.stdin.end();
    this.child.stderr.resume();
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (d: string) => {
      this.buf += d;
      // -o json prints each object with four-space indentation: a document ends at a "}" in column 0.
      for (let end = this.buf.indexOf("\n}\n"); end >= 0; end = this.buf.indexOf("\n}\n")) {
        const pod = JSON.parse(this.buf.slice(0, end + 2)) as Pod;
        this.buf = this.buf.slice(end + 3);
        this.pods.set(pod.metadata.uid, pod);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves when test(pods) holds, checked on every change; rejects after timeoutMs. */
  async until(what: string, test: (pods: Pod[]) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test([...this.pods.values()])) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: not within ${timeoutMs / 1000}s`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  stop(): void {
    this.child.kill("SIGTERM");
  }
}

/** The node's own engine: its socket, from `cluster status` (the `<node>/dockerd` row). */
async function dockerSockets(): Promise<Map<string, string>> {
  const st = await mkctl(env, ["cluster", "status"]);
  const out = new Map<string, string>();
  for (const line of st.stdout.split("\n")) {
    const m = /^(\S+)\/dockerd\s+\d+\s+unix:\/\/(\S+)/.exec(line);
    if (m?.[1] && m[2]) out.set(m[1], m[2]);
  }
  return out;
}

/** A component's HEALTH in `cluster status` (healthy, unhealthy, down, stopped; "(link cut)" after it). */
async function healthOf(component: string): Promise<string> {
  const st = await mkctl(env, ["cluster", "status"]);
  const line = st.stdout.split("\n").find((l) => l.startsWith(`${component} `)) ?? "";
  return /^\S+\s+\S+\s+\S+\s+(\S+)/.exec(line)?.[1] ?? "";
}

/** Pod uids of the containers in one engine (every mk container carries io.mk.pod.uid). */
async function podUidsIn(socket: string): Promise<Set<string>> {
  const r = await sh("docker", ["-H", `unix://${socket}`, "ps", "-a", "--format", '{{.Label "io.mk.pod.uid"}}']);
  if (r.code !== 0) throw new Error(`docker -H ${socket} ps: ${r.stderr}`);
  return new Set(r.stdout.split("\n").filter(Boolean));
}

function inSubnet(ip: string, cidr: string): boolean {
  const [net = "", bits = "32"] = cidr.split("/");
  const n = (a: string) => a.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(net) / size);
}

let passed = false;

/** The cluster DNS's upstream: a stub on loopback (names outside the zone never leave the host). */
let dnsUpstream: StubUpstream | undefined;

before(async () => {
  home = await mkdtemp(join(tmpdir(), "mk-e2e-lab-"));
  env = { MK_HOME: home, MK_CONFIG: join(home, "config") };
  dnsUpstream = await startStubUpstream({});
});

after(async () => {
  // Idempotent: the test's own `down` normally did it all already.
  if (ROOT) await mkctl(env, ["cluster", "down"]);
  if (ROOT && !passed) {
    // The components' logs outlive a failed run, for the post-mortem.
    const keep = join(tmpdir(), `mk-e2e-lab-logs-${process.pid}`);
    await cp(join(home, "cluster", "logs"), keep, { recursive: true }).catch(() => undefined);
    process.stderr.write(`lab: logs kept in ${keep}\n`);
  }
  await rm(home, { recursive: true, force: true });
  await dnsUpstream?.stop();
});

test("lab: 3 isolated nodes; cut one, its pods move; heal it, its stale containers go; stop/start a kubelet; a Service across nodes survives its node cut", { skip: ROOT ? false : "needs root", timeout: 900_000 }, async () => {
  const { api, etcd } = await clusterPorts();
  const clusterCidr = freeClusterCidr();
  const up = await mkctl(env, ["cluster", "up", "--isolated", "--nodes", "3", "--node-prefix", prefix, "--api-port", String(api), "--etcd-port", String(etcd), "--timeout", "180", "--cluster-cidr", clusterCidr, "--dns-upstream", `127.0.0.1:${dnsUpstream?.port}`]);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /lab network ready: bridge mkl-\w+ 10\.213\.\d+\.1\/24/);
  process.stderr.write(`${up.stderr}`);
  const settings = JSON.parse(readFileSync(join(home, "cluster", "cluster.json"), "utf8")) as { host: string; labNet: number };
  assert.equal(settings.host, `10.213.${settings.labNet}.1`, "the control plane listens on the bridge");

  // Each node: its own engine, and a podCIDR of the cluster's range, on which its engine has the pod network.
  const sockets = await dockerSockets();
  assert.deepEqual([...sockets.keys()].sort(), nodes);
  const nodeObjects = await list<Node>("nodes");
  const subnets = new Map<string, string>();
  const internalIps = new Map<string, string>();
  for (const n of nodeObjects) {
    subnets.set(n.metadata.name, n.spec.podCIDR ?? "");
    internalIps.set(n.metadata.name, n.status.addresses?.find((a) => a.type === "InternalIP")?.address ?? "");
  }
  assert.equal(new Set(subnets.values()).size, 3, `distinct podCIDRs: ${[...subnets.values()].join(", ")}`);
  for (const [node, socket] of sockets) {
    const cidr = subnets.get(node) ?? "";
    assert.ok(/\/24$/.test(cidr) && inSubnet(cidr.split("/")[0] ?? "", clusterCidr), `${node}'s podCIDR ${cidr} is a /24 of ${clusterCidr}`);
    const r = await sh("docker", ["-H", `unix://${socket}`, "network", "ls", "--filter", "label=io.mk.network=pods", "--format", "{{.Name}}"]);
    assert.equal(r.code, 0, r.stderr);
    const net = r.stdout.trim();
    const inspect = await sh("docker", ["-H", `unix://${socket}`, "network", "inspect", net, "--format", "{{(index .IPAM.Config 0).Subnet}}"]);
    assert.equal(inspect.stdout.trim(), cidr, `${node}'s pod network ${net} is on its podCIDR`);
    // host-gw: the other nodes' podCIDRs via their InternalIPs, in this node's own namespace (each
    // kubelet adds a route when it sees another Node's podCIDR: Ready nodes need not have them yet).
    for (const other of nodes.filter((o) => o !== node)) {
      const want = `${subnets.get(other)} via ${internalIps.get(other)}`;
      let routes = "";
      await eventually(`ip -n mk-${node} route: ${want}`, async () => {
        routes = (await sh("ip", ["-n", `mk-${node}`, "route", "show"])).stdout;
        return routes.includes(want);
      }, 60_000);
    }
  }

  const created = await mkctl(env, ["create", "deployment", "web", "--image=mk/web:v1", "--replicas=6"]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout.trim(), "deployment.apps/web created");

  const running = await eventually(
    "6 pods Running and Ready",
    async () => {
      const pods = (await list<Pod>("pods")).filter((p) => !p.metadata.deletionTimestamp);
      return pods.length === 6 && pods.every((p) => p.status.phase === "Running" && ready(p.status.conditions)) ? pods : undefined;
    },
    120_000,
    { everyMs: 250 }, // each look starts an mkctl process
  );
  const byNode = new Map<string, Pod[]>();
  for (const p of running) byNode.set(p.spec.nodeName ?? "", [...(byNode.get(p.spec.nodeName ?? "") ?? []), p]);
  assert.deepEqual([...byNode.keys()].sort(), nodes, "spread over the three nodes");

  // The containers run in each node's own engine, and the pod IPs come from that node's subnet.
  for (const [node, pods] of byNode) {
    const socket = sockets.get(node) ?? "";
    const uids = await podUidsIn(socket);
    for (const p of pods) {
      assert.ok(uids.has(p.metadata.uid), `${p.metadata.name}'s containers in ${node}'s dockerd`);
      const subnet = subnets.get(node) ?? "";
      assert.ok(p.status.podIP && inSubnet(p.status.podIP, subnet), `${p.metadata.name} IP ${p.status.podIP} in ${node}'s ${subnet}`);
    }
    for (const other of nodes.filter((n) => n !== node)) {
      const theirs = await podUidsIn(sockets.get(other) ?? "");
      for (const p of pods) assert.ok(!theirs.has(p.metadata.uid), `${p.metadata.name} not in ${other}'s dockerd`);
    }
  }
  // The host reaches a pod through the node's address (mk's route to the node's podCIDR).
  const probe = running[0];
  const res = await fetch(`http://${probe?.status.podIP}:8080/`, { signal: AbortSignal.timeout(5000) });
  assert.match(await res.text(), /mk web v1/);
  // A pod on node 1 reaches a pod on node 3 by pod IP (node 1 → its route → the bridge → node 3).
  const from = byNode.get(nodes[0] ?? "")?.[0];
  const to = byNode.get(nodes[2] ?? "")?.[0];
  const hop = await mkctl(env, ["exec", from?.metadata.name ?? "", "--", "timeout", "10", "wget", "-qO-", `http://${to?.status.podIP}:8080/`]);
  assert.equal(hop.code, 0, hop.stderr);
  assert.equal(hop.stdout.trim(), `mk web v1 ${to?.metadata.name}`, `${from?.metadata.name} on ${nodes[0]} → ${to?.metadata.name} at ${to?.status.podIP} on ${nodes[2]}`);

  // Cut a node.
  const victim = nodes[1] ?? "";
  const evicted = new Set((byNode.get(victim) ?? []).map((p) => p.metadata.uid));
  assert.ok(evicted.size > 0);
  const watch = new PodWatch();
  await watch.until("the watch lists the 6 pods", (pods) => pods.length >= 6, 30_000);
  const cutAt = Date.now();
  const cut = await mkctl(env, ["cluster", "node", "cut", victim]);
  assert.equal(cut.code, 0, cut.stderr);
  assert.equal(cut.stdout.trim(), `node/${victim} cut`);
  // The link goes down as that command's last step (lab/node.ts), so the time is measured from its
  // return; mkctl's own start-up (seconds on a loaded machine) is not the cluster's reaction time.
  const cutReturnedAt = Date.now();
  const movedOver = (pods: Pod[]) => {
    const live = pods.filter((p) => !p.metadata.deletionTimestamp && p.spec.nodeName !== victim);
    return live.length === 6 && live.every((p) => p.status.phase === "Running" && ready(p.status.conditions));
  };
  try {
    await watch.until("6 Ready pods on the other two nodes", movedOver, 60_000);
  } finally {
    watch.stop();
  }
  const movedMs = Date.now() - cutAt;
  const afterReturnMs = Date.now() - cutReturnedAt;
  assert.match((await mkctl(env, ["cluster", "status"])).stdout, new RegExp(`^${victim}\\s.*\\(link cut\\)`, "m"));
  assert.ok(movedOver(await list<Pod>("pods")), "mkctl get pods agrees");
  process.stderr.write(
    `lab: ${victim} cut; its ${evicted.size} pods running on the other nodes after ${(movedMs / 1000).toFixed(1)} s (${(afterReturnMs / 1000).toFixed(1)} s after \`cluster node cut\` returned)\n`,
  );
  // 30 s on a quiet machine (grace 10 s + toleration 10 s + a pod start); the test allows twice that,
  // as at load 30 a pod start alone takes over 10 s (the figure is printed above).
  assert.ok(afterReturnMs <= 60_000, `pods replaced ${afterReturnMs} ms after the link was cut (want ≤ 60 s)`);
  // Cut off, the node's engine still runs the old pods: nobody could tell it.
  const stale = await podUidsIn(sockets.get(victim) ?? "");
  assert.ok([...evicted].every((uid) => stale.has(uid)), "the cut node still has its old containers");

  // Heal it.
  const heal = await mkctl(env, ["cluster", "node", "heal", victim]);
  assert.equal(heal.code, 0, heal.stderr);
  assert.equal(heal.stdout.trim(), `node/${victim} healed`);
  const healedAt = Date.now();
  await eventually(
    `${victim} Ready again`,
    async () => (ready((await list<Node>("nodes")).find((n) => n.metadata.name === victim)?.status.conditions) ? true : undefined),
    60_000,
    { everyMs: 250 }, // each look starts an mkctl process
  );
  const readyMs = Date.now() - healedAt;
  await eventually(
    `no container of the evicted pods left in ${victim}'s dockerd`,
    async () => {
      const uids = await podUidsIn(sockets.get(victim) ?? "");
      return [...evicted].some((uid) => uids.has(uid)) ? undefined : true;
    },
    90_000,
    { everyMs: 500 },
  );
  const cleanMs = Date.now() - healedAt;
  process.stderr.write(`lab: ${victim} healed; Ready after ${(readyMs / 1000).toFixed(1)} s, stale containers removed after ${(cleanMs / 1000).toFixed(1)} s\n`);
  const pods = (await list<Pod>("pods")).filter((p) => !p.metadata.deletionTimestamp);
  assert.equal(pods.length, 6);

  // Stop a kubelet: the supervisor leaves it down and the node's containers keep running; start it.
  const quiet = nodes[2] ?? "";
  const before = await podUidsIn(sockets.get(quiet) ?? "");
  const stop = await mkctl(env, ["cluster", "node", "stop", quiet]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(stop.stdout.trim(), `node/${quiet} stopped`);
  assert.equal(await healthOf(quiet), "stopped");
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(await healthOf(quiet), "stopped", "not restarted");
  assert.deepEqual(await podUidsIn(sockets.get(quiet) ?? ""), before, "its containers still there");
  const start = await mkctl(env, ["cluster", "node", "start", quiet]);
  assert.equal(start.code, 0, start.stderr);
  assert.equal(start.stdout.trim(), `node/${quiet} started`);
  await eventually(`${quiet} healthy again`, async () => ((await healthOf(quiet)) === "healthy" ? true : undefined), 30_000, { everyMs: 250 });
  await eventually(`${quiet} Ready`, async () => (ready((await list<Node>("nodes")).find((n) => n.metadata.name === quiet)?.status.conditions) ? true : undefined), 30_000, { everyMs: 250 });

  await servicesAcrossNodes(settings.host);

  // down removes the namespaces, veths and bridge.
  const down = await mkctl(env, ["cluster", "down"]);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stderr, /lab network removed/);
  for (const n of nodes) assert.ok(!existsSync(`/var/run/netns/mk-${n}`), `netns mk-${n} removed`);
  const links = await sh("ip", ["-o", "link", "show"]);
  const bridge = /bridge (mkl-\w+)/.exec(up.stderr)?.[1] ?? "";
  assert.ok(bridge && !links.stdout.includes(bridge), `${bridge} and its veths removed`);
  const routes = await sh("ip", ["route", "show"]);
  for (const s of subnets.values()) assert.ok(!routes.stdout.includes(s), `route to ${s} removed`);
  const rules = await sh("iptables", ["-S"]);
  assert.ok(!rules.stdout.includes(`MK-LAB-${bridge.slice("mkl-".length)}`), "the lab's host rule and its jump removed");
  passed = true;
});

interface Svc {
  spec: { clusterIP?: string; ports?: { port: number; nodePort?: number }[] };
}

/** A busybox pod on node 1, and one web pod behind a NodePort Service, on node 3 (mk-lab-svc=yes). */
const servicesManifest = (client: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 1
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      nodeSelector: {mk-lab-svc: "yes"}
      containers:
      - {name: web, image: mk/web:v1}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  type: NodePort
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: ${client}
  containers:
  - {name: c, image: mk/busybox:1, command: [sleep, "100000"]}
`;

/**
 * Issue 10's lab item: a pod on node 1 reaches a Service whose only endpoint is on node 3, by name
 * (its DNS through the kube-dns ClusterIP, over UDP across the lab network to the API server's
 * listener on the bridge's host address) and by pod IP; the NodePort answers on all three node
 * addresses; node 3 cut, the pod is replaced on node 2 (the only other node its selector allows) and
 * the name answers again.
 */
async function servicesAcrossNodes(bridgeHost: string): Promise<void> {
  const [clientNode = "", spare = "", home3 = ""] = nodes;
  const ok = async (args: string[], stdin?: string) => {
    const r = await mkctl(env, args, stdin);
    assert.equal(r.code, 0, `mkctl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const inClient = (script: string) => mkctl(env, ["exec", "client", "--", "sh", "-c", script]);
  await ok(["label", "node", home3, "mk-lab-svc=yes"]);
  await ok(["apply", "-f", "-"], servicesManifest(clientNode));
  const echoPod = (pods: Pod[]) =>
    pods.find((p) => p.metadata.name.startsWith("echo-") && !p.metadata.deletionTimestamp && p.status.phase === "Running" && ready(p.status.conditions));
  const first = await eventually(
    "the echo pod and the client Ready",
    async () => {
      const pods = await list<Pod>("pods");
      const client = pods.find((p) => p.metadata.name === "client" && ready(p.status.conditions));
      return client ? echoPod(pods) : undefined;
    },
    180_000,
    { everyMs: 500 },
  );
  assert.equal(first.spec.nodeName, home3, "the echo pod runs on node 3");
  // From now on node 2 may take it too (a nodeSelector counts only when a pod is scheduled).
  await ok(["label", "node", spare, "mk-lab-svc=yes"]);
  const svc = JSON.parse(await ok(["get", "svc", "echo", "-o", "json"])) as Svc;
  const clusterIp = svc.spec.clusterIP ?? "";
  const nodePort = svc.spec.ports?.[0]?.nodePort ?? 0;
  assert.ok(clusterIp && nodePort >= 30000, `echo: ClusterIP ${clusterIp}, NodePort ${nodePort}`);

  // DNS: the pod's nameserver is kube-dns's ClusterIP; busybox's nslookup asks it over UDP.
  const dns = (JSON.parse(await ok(["get", "svc", "kube-dns", "-n", "kube-system", "-o", "json"])) as Svc).spec.clusterIP ?? "";
  // kube-dns's one endpoint: the API server's DNS listener on the lab bridge's host address.
  const dnsEndpoints = JSON.parse(await ok(["get", "endpoints", "kube-dns", "-n", "kube-system", "-o", "json"])) as { subsets?: { addresses?: { ip: string }[] }[] };
  assert.deepEqual(dnsEndpoints.subsets?.flatMap((s) => s.addresses?.map((a) => a.ip) ?? []), [bridgeHost], JSON.stringify(dnsEndpoints));
  const conf = await inClient("cat /etc/resolv.conf");
  assert.match(conf.stdout, new RegExp(`^nameserver ${dns.replaceAll(".", "\\.")}$`, "m"), conf.stdout);
  const lookup = await eventually(
    "nslookup echo from node 1",
    async () => {
      const r = await inClient("timeout 10 nslookup echo");
      return r.stdout.includes(`Address: ${clusterIp}`) ? r.stdout : undefined;
    },
    60_000,
    { everyMs: 1000 },
  );
  assert.match(lookup, /echo\.default\.svc\.cluster\.local/, lookup);
  const byName = async (want: string) =>
    await eventually(
      `http://echo/ from ${clientNode} answers ${want}`,
      async () => {
        const r = await inClient("timeout 10 wget -qO- http://echo/");
        return r.code === 0 && r.stdout.trim() === `mk web v1 ${want}` ? true : undefined;
      },
      60_000,
      { everyMs: 1000 },
    );
  await byName(first.metadata.name);
  const viaIp = await inClient(`timeout 10 wget -qO- http://${clusterIp}/`);
  assert.equal(viaIp.stdout.trim(), `mk web v1 ${first.metadata.name}`, `by ClusterIP ${clusterIp}: ${viaIp.stderr}`);
  const direct = await inClient(`timeout 10 wget -qO- http://${first.status.podIP}:8080/`);
  assert.equal(direct.stdout.trim(), `mk web v1 ${first.metadata.name}`, `by pod IP ${first.status.podIP}: ${direct.stderr}`);

  // The NodePort, from the host, on each node's own address (the lab's bridge network).
  const addresses = (await list<Node>("nodes")).map((n) => n.status.addresses?.find((a) => a.type === "InternalIP")?.address ?? "");
  assert.equal(addresses.filter(Boolean).length, 3);
  for (const ip of addresses) {
    const text = await eventually(
      `NodePort ${ip}:${nodePort}`,
      async () => {
        const res = await fetch(`http://${ip}:${nodePort}/`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        return res?.ok ? await res.text() : undefined;
      },
      30_000,
      { everyMs: 1000 },
    );
    assert.equal(text.trim(), `mk web v1 ${first.metadata.name}`, `NodePort on ${ip}`);
  }

  // Cut the endpoint's node: it goes NotReady, its pod is evicted and replaced on node 2.
  const cut = await mkctl(env, ["cluster", "node", "cut", home3]);
  assert.equal(cut.code, 0, cut.stderr);
  const cutAt = Date.now();
  const second = await eventually(
    "a new echo pod Ready on node 2",
    async () => {
      const pod = echoPod((await list<Pod>("pods")).filter((p) => p.metadata.uid !== first.metadata.uid));
      return pod?.spec.nodeName === spare ? pod : undefined;
    },
    120_000,
    { everyMs: 500 },
  );
  await byName(second.metadata.name);
  process.stderr.write(`lab: ${home3} cut; http://echo/ answered by ${second.metadata.name} on ${spare} ${((Date.now() - cutAt) / 1000).toFixed(1)} s later\n`);
  const heal = await mkctl(env, ["cluster", "node", "heal", home3]);
  assert.equal(heal.code, 0, heal.stderr);
}
