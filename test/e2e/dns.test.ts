// Cluster DNS through the cluster tooling: `mkctl cluster up` gives the API server a DNS port of the
// cluster's own (kept in the cluster's settings) on its advertise address, 127.0.0.1, with the
// kube-dns Service at the service range's tenth address pointing there; the kubelets write pods a
// resolv.conf naming that address; names outside the zone go to the upstream `up --dns-upstream`
// named (a stub on loopback). Reaching the ClusterIP from a pod needs the node proxy's DNAT rules,
// tested once both are merged; here the server is asked on its listener, as the proxy forwards.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before } from "node:test";
import { kubeDnsClusterIp } from "@mk/proto";
import { answerData, query } from "../harness/dns.js";
import { docker } from "../harness/docker.js";
import { eventually, LABEL_CONTAINER_NAME, LABEL_POD_NAME, LocalCluster, steps } from "./cluster.js";

const step = steps(300_000);
let cluster: LocalCluster;
let dnsPort = 0;
// Test clusters get a Service range of their own (test/harness/cluster-cidr.ts): the `kubernetes`
// Service at its first address, kube-dns at its tenth.
let kubeDns = "";
let kubernetes = "";
const esc = (ip: string) => ip.replaceAll(".", "\\.");

before(async () => {
  cluster = await LocalCluster.create({ name: "dns", nodes: 1 });
  const range = cluster.upArgs[cluster.upArgs.indexOf("--service-cluster-ip-range") + 1] ?? "";
  kubeDns = kubeDnsClusterIp(range);
  kubernetes = kubeDns.replace(/\.10$/, ".1");
});

after(async () => {
  await cluster.mkctl(["delete", "pod", "--all", "--timeout=60s"]);
  await cluster.stop();
  const apiPort = cluster.upArgs[cluster.upArgs.indexOf("--api-port") + 1];
  await rm(`/var/lib/mk/kubelet/127.0.0.1_${apiPort}`, { recursive: true, force: true });
});

step("cluster up: the API server answers DNS on the cluster's own port at 127.0.0.1", async () => {
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, new RegExp(`cluster DNS on 127\\.0\\.0\\.1:\\d+, Service kube-system/kube-dns at ${esc(kubeDns)}`));
  const settings = JSON.parse(readFileSync(join(cluster.home, "cluster", "cluster.json"), "utf8")) as { dnsPort?: number };
  dnsPort = settings.dnsPort ?? 0;
  assert.ok(dnsPort > 0, "a DNS port is kept in the cluster's settings");
  const r = await query(dnsPort, "kubernetes.default.svc.cluster.local", "A");
  assert.deepEqual(answerData(r), [kubernetes]);
  assert.deepEqual(answerData(await query(dnsPort, "kube-dns.kube-system.svc.cluster.local", "A", { transport: "tcp" })), [kubeDns]);
});

step("kube-dns: 53/UDP and 53/TCP at the range's tenth address, its endpoint the API server's address and DNS port", async () => {
  const svc = await cluster.ok(["get", "svc", "kube-dns", "-n", "kube-system"]);
  assert.match(svc, new RegExp(`kube-dns\\s+ClusterIP\\s+${esc(kubeDns)}\\s+<none>\\s+53/UDP,53/TCP`));
  const ep = await cluster.ok(["get", "endpoints", "kube-dns", "-n", "kube-system"]);
  assert.match(ep, new RegExp(`127\\.0\\.0\\.1:${dnsPort}`));
});

step("names outside the zone go to the upstream `up --dns-upstream` named", async () => {
  const before = cluster.dnsUpstream.asked.length;
  assert.equal((await query(dnsPort, "nosuch.example.test", "A")).rcode, "NXDOMAIN");
  assert.deepEqual(cluster.dnsUpstream.asked.slice(before), [{ name: "nosuch.example.test", transport: "udp" }]);
});

step("a pod's /etc/resolv.conf names the kube-dns ClusterIP with the namespace's search list", async () => {
  await cluster.ok(["run", "dnsclient", "--image=mk/busybox:1", "--image-pull-policy=IfNotPresent", "--command", "--", "sh", "-c", "sleep 3600"]);
  const id = await eventually(
    "dnsclient's container running",
    async () => (await docker(["ps", "-q", "--filter", `label=${LABEL_POD_NAME}=dnsclient`, "--filter", `label=${LABEL_CONTAINER_NAME}=dnsclient`])).split("\n")[0] || undefined,
    120_000,
    { everyMs: 500 },
  );
  const resolv = await docker(["exec", id, "cat", "/etc/resolv.conf"]);
  assert.match(resolv, new RegExp(`^nameserver ${esc(kubeDns)}$`, "m"));
  assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/m);
  assert.match(resolv, /^options ndots:5$/m);
  const env = await docker(["exec", id, "env"]);
  assert.match(env, new RegExp(`^KUBERNETES_SERVICE_HOST=${esc(kubernetes)}$`, "m"));
});
