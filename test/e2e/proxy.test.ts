// The node proxy end to end (issue 10, criterion 4): a real local cluster through mkctl, real Docker,
// the kubelets' rules in the host's network namespace (two nodes share it: one owner writes them).
// A Deployment of 3 mk/web:v1 behind a NodePort Service: a busybox pod on the other node reaches the
// ClusterIP and 60 requests reach all 3 pods; the NodePort answers from the host on every node's
// loopback address; a web pod reaches its own Service (hairpin); a pod reaches the `kubernetes`
// Service, whose endpoint is 127.0.0.1 (route_localnet on mk's bridges only); scaled to 0 a request is
// refused at once; with every kubelet SIGKILLed the Services keep answering, a Service deleted and one
// created meanwhile and a stray rule in mk's chain are reconciled at restart into exactly what a
// fresh agent writes; `cluster down` leaves no rule, jump or route of the cluster. A UDP Service
// answers from another node, and a flow follows when its endpoint leaves the Service.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { get } from "node:http";
import { join } from "node:path";
import { after, before } from "node:test";
import { clusterHash, proxyNames } from "@mk/proto";
import { docker } from "../harness/docker.js";
import { REPO } from "./mkctl.js";
import { eventually, isReady, LABEL_CONTAINER_NAME, LABEL_NODE_NAME, LABEL_POD_NAME, LocalCluster, steps } from "./cluster.js";

const STEP_MS = 300_000;
const WAIT_MS = 180_000;

let cluster: LocalCluster;
const step = steps(STEP_MS);
let clusterId = "";
let clusterIp = "";
let nodePort = 0;
let webPods: string[] = [];

/** mk/busybox:1 plus a static UDP echo (fixtures/udp-echo.c), committed locally: never pulled. */
const UDP_IMAGE = `mk-e2e/udp-echo:${process.pid}`;

async function buildUdpImage(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "mk-udp-echo-"));
  try {
    execFileSync("gcc", ["-static", "-Os", "-s", "-o", join(dir, "udp-echo"), join(REPO, "test", "e2e", "fixtures", "udp-echo.c")]);
    const id = await docker(["create", "--label", "io.mk.test=proxy-e2e", "mk/busybox:1", "true"]);
    try {
      await docker(["cp", join(dir, "udp-echo"), `${id}:/bin/udp-echo`]);
      await docker(["commit", id, UDP_IMAGE]);
    } finally {
      await docker(["rm", id]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

before(async () => {
  cluster = await LocalCluster.create({ name: "proxy" });
  await buildUdpImage();
});
after(async () => {
  await cluster?.stop();
  await docker(["rmi", UDP_IMAGE]).catch(() => undefined);
});

const cs = () => cluster.client();
const api = () => cluster.upArgs[cluster.upArgs.indexOf("--api-port") + 1] ?? "";
/** The local cluster's id: its API address (kubectl/src/cluster/settings.ts clusterIdOf). */
const hashOf = () => clusterHash(clusterId);

/** Every line of iptables-save (nat and filter) that carries this cluster's hash, counters zeroed. */
function clusterRules(): string[] {
  const h = hashOf();
  const out: string[] = [];
  for (const table of ["nat", "filter"]) {
    const save = execFileSync("iptables-save", ["-t", table], { encoding: "utf8" });
    for (const line of save.split("\n")) if (line.includes(h)) out.push(`${table} ${line.replace(/\[\d+:\d+\]/, "[0:0]")}`);
  }
  return out.sort();
}

/** The lines of the node proxy (not the pod network's): its chains and jumps. */
const proxyRules = () => clusterRules().filter((l) => !/MK-PODS-|MK-MASQ-|mk-pod-network-/.test(l) || l.includes("MK-FW-"));

async function exec(pod: string, script: string, signal: AbortSignal): Promise<{ code: number; stdout: string; stderr: string }> {
  return await cluster.mkctl(["exec", pod, "--", "sh", "-c", script], { signal });
}

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host, port, path: "/", timeout: 5_000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve(body));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

function supervisorPid(): number {
  return (JSON.parse(readFileSync(join(cluster.home, "cluster", "state.json"), "utf8")) as { supervisorPid: number }).supervisorPid;
}

function kubeletPids(): number[] {
  const state = JSON.parse(readFileSync(join(cluster.home, "cluster", "state.json"), "utf8")) as { components: { name: string; pid: number }[] };
  return state.components.filter((c) => cluster.nodes.some((n) => c.name === n || c.name === `kubelet-${n}`)).map((c) => c.pid);
}

/** With the supervisor frozen (it would restart them within a second), every kubelet is SIGKILLed; then fn; then the supervisor goes on and restarts them. */
async function withKubeletsKilled(fn: () => Promise<void>): Promise<void> {
  const sup = supervisorPid();
  const pids = kubeletPids();
  assert.equal(pids.length, cluster.nodes.length, "a pid per kubelet in state.json");
  process.kill(sup, "SIGSTOP");
  try {
    for (const pid of pids) process.kill(pid, "SIGKILL");
    await fn();
  } finally {
    process.kill(sup, "SIGCONT");
  }
}

step("cluster up; a Deployment of 3 behind a NodePort Service; a client pod on node 2", async (signal) => {
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
  clusterId = `127.0.0.1:${api()}`;
  await cluster.ok(["create", "deployment", "web", "--image=mk/web:v1", "--replicas=3"], { signal });
  await cluster.ok(["create", "service", "nodeport", "web", "--tcp=80:8080"], { signal });
  await cluster.ok(["apply", "-f", "-"], {
    signal,
    stdin: `apiVersion: v1\nkind: Pod\nmetadata: {name: client}\nspec:\n  nodeName: ${cluster.nodes[1]}\n  containers:\n  - {name: c, image: mk/busybox:1, command: [sleep, "100000"]}\n`,
  });
  const svc = await cs().services.get("web", "default");
  clusterIp = svc.spec?.clusterIp ?? "";
  nodePort = svc.spec?.ports[0]?.nodePort ?? 0;
  assert.ok(clusterIp && nodePort >= 30000, `ClusterIP ${clusterIp}, NodePort ${nodePort}`);
  webPods = await eventually(
    "3 web pods and the client Ready",
    async () => {
      const pods = (await cs().pods.list({ namespace: "default" })).items;
      const web = pods.filter((p) => p.metadata?.name?.startsWith("web-") && isReady(p));
      const client = pods.find((p) => p.metadata?.name === "client");
      return web.length === 3 && client && isReady(client) ? web.map((p) => p.metadata?.name ?? "").sort() : undefined;
    },
    WAIT_MS,
    { signal },
  );
});

step("ClusterIP from a pod on another node: answers, and 60 requests reach all 3 pods", async (signal) => {
  await eventually("wget through the ClusterIP", async () => (await exec("client", `timeout 5 wget -qO- http://${clusterIp}/`, signal)).stdout.includes("mk web v1"), WAIT_MS, { signal });
  const r = await exec("client", `for i in $(seq 1 60); do timeout 5 wget -qO- http://${clusterIp}/ || echo FAILED; done`, signal);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 60, r.stdout + r.stderr);
  assert.ok(!lines.includes("FAILED"), `every request answered:\n${r.stdout}`);
  const reached = new Set(lines.map((l) => l.split(" ").at(-1)));
  assert.deepEqual([...reached].sort(), webPods, "60 requests reach all 3 pods");
});

step("NodePort from the host on every node's address (127.0.0.2, 127.0.0.3)", async (signal) => {
  for (const ip of ["127.0.0.2", "127.0.0.3"]) {
    const body = await eventually(`http://${ip}:${nodePort}/`, async () => (await httpGet(ip, nodePort)).trim() || undefined, WAIT_MS, { signal });
    assert.match(body, /^mk web v1 web-/);
  }
});

step("hairpin: a web pod reaches its own Service, itself included, with no request lost", async (signal) => {
  const self = webPods[0] ?? "";
  const r = await exec(self, `for i in $(seq 1 24); do timeout 5 wget -qO- http://${clusterIp}/ || echo FAILED; done`, signal);
  const lines = r.stdout.trim().split("\n");
  assert.ok(!lines.includes("FAILED"), `every request answered:\n${r.stdout}`);
  assert.ok(lines.some((l) => l.endsWith(self)), `reached itself at least once in 24 (chance of missing: (2/3)^24):\n${r.stdout}`);
});

step("the kubernetes Service (endpoint 127.0.0.1) from a pod: the API server answers", async (signal) => {
  const kube = await cs().services.get("kubernetes", "default");
  // busybox's TLS cannot finish the handshake with the API server's ciphers, but a TLS alert proves
  // the connection reached it (no route_localnet on the bridge: no answer at all, a timeout).
  const r = await exec("client", `timeout 10 wget -qO- --no-check-certificate https://${kube.spec?.clusterIp}/ 2>&1; echo rc=$?`, signal);
  assert.match(r.stdout, /TLS error|handshake|Connection reset|HTTP\/|rc=0/, r.stdout);
  assert.doesNotMatch(r.stdout, /rc=143|timed out|Connection refused/, r.stdout);
});

const udpServer = (name: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, labels: {app: udp}}\nspec:\n  nodeName: ${cluster.nodes[0]}\n  containers:\n  - {name: s, image: "${UDP_IMAGE}", command: [/bin/udp-echo, serve, "9999"]}\n`;

step("UDP: a Service answers a pod on another node; a flow moves when its endpoint leaves the Service (conntrack entry deleted)", async (signal) => {
  const manifests = [
    udpServer("userver-a"),
    `apiVersion: v1\nkind: Service\nmetadata: {name: udp}\nspec:\n  selector: {app: udp}\n  ports:\n  - {name: echo, protocol: UDP, port: 5353, targetPort: 9999}\n`,
    `apiVersion: v1\nkind: Pod\nmetadata: {name: uclient}\nspec:\n  nodeName: ${cluster.nodes[1]}\n  containers:\n  - {name: c, image: "${UDP_IMAGE}", command: [sleep, "100000"]}\n`,
  ];
  await cluster.ok(["apply", "-f", "-"], { signal, stdin: manifests.join("---\n") });
  const ip = (await cs().services.get("udp", "default")).spec?.clusterIp ?? "";
  // A fixed source port: one conntrack entry, kept alive by every ask (as a long-lived UDP client's).
  const ask = async () => (await exec("uclient", `/bin/udp-echo ask ${ip} 5353 40000`, signal)).stdout.trim();
  await eventually("pong from userver-a", async () => (await ask()) === "pong userver-a", WAIT_MS, { signal });
  await cluster.ok(["apply", "-f", "-"], { signal, stdin: udpServer("userver-b") });
  const slices = () => cs().resource("EndpointSlice").list({ namespace: "default", labelSelector: "kubernetes.io/service-name=udp" });
  await eventually(
    "userver-b an endpoint too (asking meanwhile)",
    async () => {
      await ask();
      return (await slices()).items.flatMap((s) => s.endpoints).filter((e) => e.conditions?.ready !== false).length === 2;
    },
    WAIT_MS,
    { signal },
  );
  // userver-a leaves the Service but keeps running and answering: only deleting the flow's conntrack
  // entry moves it (Docker deletes a container's entries when it is removed, not when it is relabelled).
  await cluster.ok(["label", "pod", "userver-a", "app=gone", "--overwrite"], { signal });
  await eventually("pong from userver-b, same source port", async () => (await ask()) === "pong userver-b", WAIT_MS, { signal });
});

step("scaled to 0: a request to the ClusterIP is refused at once (REJECT), not a timeout", async (signal) => {
  await cluster.ok(["scale", "deployment", "web", "--replicas=0"], { signal });
  // Until the pods are gone their terminating endpoints still serve (kube-proxy's fallback when none is
  // ready): a request may meet a pod's own reset, or its vanished address. Then nothing is left.
  await eventually(
    "web's pods gone",
    async () => (await cs().pods.list({ namespace: "default" })).items.every((p) => !p.metadata?.name?.startsWith("web-")),
    WAIT_MS,
    { signal },
  );
  await eventually(
    "refused",
    async () => {
      const r = await exec("client", `wget -qO- http://${clusterIp}/ 2>&1`, signal);
      return /refused/.test(r.stdout + r.stderr);
    },
    WAIT_MS,
    { signal },
  );
  // The first refusal may meet a SYN sent while the last endpoint's rule was going (retried after
  // 1 s); from then on each request is refused at once (a rate-limited ICMP error, or a DROP, would
  // leave one to its SYN's retransmission after 1 s).
  for (let i = 0; i < 2; i++) {
    const r = await exec("client", `time wget -qO- http://${clusterIp}/ 2>&1`, signal);
    const out = r.stdout + r.stderr;
    // busybox time: "real\t0m 0.00s"
    const m = /real\s+(\d+)m\s*([\d.]+)s/.exec(out);
    assert.ok(m && /refused/.test(out), out);
    const seconds = Number(m[1]) * 60 + Number(m[2]);
    assert.ok(seconds < 1, `refused in ${seconds}s:\n${out}`);
  }
  await cluster.ok(["scale", "deployment", "web", "--replicas=3"], { signal });
  webPods = await eventually(
    "3 web pods Ready again",
    async () => {
      const web = (await cs().pods.list({ namespace: "default" })).items.filter((p) => p.metadata?.name?.startsWith("web-") && isReady(p) && !p.metadata?.deletionTimestamp);
      return web.length === 3 ? web.map((p) => p.metadata?.name ?? "").sort() : undefined;
    },
    WAIT_MS,
    { signal },
  );
  await eventually("served again", async () => (await exec("client", `timeout 5 wget -qO- http://${clusterIp}/`, signal)).stdout.includes("mk web v1"), WAIT_MS, { signal });
});

step("kubelets SIGKILLed: Services keep answering; at restart a deleted Service's rules go, a new one's come, a stray rule goes, nothing doubled", async (signal) => {
  // old selects the web pods: its SVC and SEP chains must go when it is deleted while no agent runs.
  await cluster.ok(["apply", "-f", "-"], { signal, stdin: "apiVersion: v1\nkind: Service\nmetadata: {name: old}\nspec:\n  selector: {app: web}\n  ports:\n  - {port: 81, targetPort: 8080}\n" });
  const names = proxyNames(clusterId);
  await eventually("old's chains", async () => proxyRules().filter((l) => l.includes("default/old:") && l.includes("DNAT")).length === 3, WAIT_MS, { signal });
  const stray = `-A ${names.servicesChain} -d 10.255.255.1/32 -p tcp -m comment --comment stray-rule -j RETURN`;
  await withKubeletsKilled(async () => {
    await cs().services.delete("old", "default");
    await cluster.ok(["create", "service", "clusterip", "new", "--tcp=82:8080"], { signal });
    execFileSync("iptables", ["-w", "-t", "nat", ...stray.split(" ")]);
    assert.ok(execFileSync("iptables-save", ["-t", "nat"], { encoding: "utf8" }).includes("stray-rule"));
    // No agent runs (so no mkctl exec either: straight into the client's container): the rules
    // written before keep serving.
    const id = await docker(["ps", "-q", "--filter", `label=${LABEL_POD_NAME}=client`, "--filter", `label=${LABEL_NODE_NAME}=${cluster.nodes[1]}`, "--filter", `label=${LABEL_CONTAINER_NAME}=c`]);
    assert.ok(id, "the client's container");
    const out = await docker(["exec", id.split("\n")[0] ?? "", "timeout", "5", "wget", "-qO-", `http://${clusterIp}/`]);
    assert.match(out, /mk web v1/);
  });
  const newIp = (await cs().services.get("new", "default")).spec?.clusterIp ?? "";
  await eventually(
    "restarted: new's rules in, old's and the stray rule out",
    async () => {
      const rules = proxyRules();
      return rules.some((l) => l.includes("default/new:")) && !rules.some((l) => l.includes("default/old:")) && !rules.some((l) => l.includes("stray-rule"));
    },
    WAIT_MS,
    { signal },
  );
  // A restarted kubelet probes its pods' readiness afresh: wait for web's 3 endpoints in both snapshots.
  const settled = async () => {
    const rules = proxyRules();
    const webDnats = rules.filter((l) => l.includes("default/web:") && l.includes("DNAT")).length;
    const jumpCount = rules.filter((l) => /^(nat|filter) -A (PREROUTING|OUTPUT|INPUT) /.test(l)).length;
    return webDnats === 3 && jumpCount === 4 && rules.some((l) => l.includes("default/new:")) ? rules : undefined;
  };
  const restarted = await eventually("the restarted agent's rules with web's 3 endpoints", settled, WAIT_MS, { signal });
  const jumps = restarted.filter((l) => /^(nat|filter) -A (PREROUTING|OUTPUT|INPUT) /.test(l));
  assert.deepEqual(
    jumps.map((l) => l.split(" -m ")[0]),
    ["filter -A INPUT", "filter -A OUTPUT", "nat -A OUTPUT", "nat -A PREROUTING"],
    "one jump each from filter INPUT and OUTPUT, nat OUTPUT and PREROUTING",
  );
  assert.equal(new Set(restarted).size, restarted.length, "nothing doubled");
  // new has no endpoints (port 82 → 8080 of no pod): refused.
  assert.ok(restarted.some((l) => l.includes(newIp) && l.includes("REJECT")), restarted.join("\n"));
  // (mkctl exec needs the restarted kubelet's server up: retried until it is.)
  await eventually("web answers after the restart", async () => (await exec("client", `timeout 5 wget -qO- http://${clusterIp}/`, signal)).stdout.includes("mk web v1"), WAIT_MS, { signal });

  // What a fresh agent writes: every proxy chain and jump removed while no agent runs, then restarted.
  await withKubeletsKilled(async () => {
    const h = hashOf();
    for (const table of ["nat", "filter"]) {
      const save = execFileSync("iptables-save", ["-t", table], { encoding: "utf8" }).split("\n");
      for (const line of save) {
        const words = line.split(" ");
        if (line.startsWith("-A ") && line.includes(`mk-proxy-${h}`) && ["PREROUTING", "OUTPUT", "INPUT"].includes(words[1] ?? "")) execFileSync("iptables", ["-w", "-t", table, "-D", ...words.slice(1)]);
      }
      const chains = save.filter((l) => l.startsWith(":MK-") && l.includes(h) && !/MK-PODS-|MK-MASQ-/.test(l)).map((l) => l.slice(1).split(" ")[0] ?? "");
      for (const c of chains) execFileSync("iptables", ["-w", "-t", table, "-F", c]);
      // MK-FW stays (the pod network's MK-PODS refers to it), empty.
      for (const c of chains) if (!c.startsWith("MK-FW-")) execFileSync("iptables", ["-w", "-t", table, "-X", c]);
    }
  });
  // Its first sync writes the chains, then puts the jumps back: wait for both, and web's endpoints.
  const fresh = await eventually("a fresh agent's rules and jumps", settled, WAIT_MS, { signal });
  assert.deepEqual(restarted, fresh, "the restarted agent's rules equal a fresh agent's");
});

step("cluster down: no rule, jump, chain or route of the cluster left", async (signal) => {
  const h = hashOf();
  const routes = () =>
    execFileSync("ip", ["-4", "route", "show", "proto", "109"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.startsWith(cluster.upArgs[cluster.upArgs.indexOf("--cluster-cidr") + 1]?.split(".").slice(0, 2).join(".") ?? "x"));
  assert.ok(clusterRules().length > 0);
  await cluster.ok(["cluster", "down"], { signal });
  assert.deepEqual(clusterRules(), [], `iptables-save has nothing with ${h}`);
  assert.deepEqual(routes(), []);
});
