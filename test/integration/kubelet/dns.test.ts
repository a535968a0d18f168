// Pod DNS and Service variables with a real kubelet on Docker against an in-process API server. The
// pods sit on a user-defined Docker network (where Docker would write its embedded 127.0.0.11
// resolver); the kubelet binds its own resolv.conf at /etc/resolv.conf in every container:
// ClusterFirst (the default) → the cluster DNS address, the namespace's search list, ndots:5;
// Default → the node's resolv.conf (--resolv-conf); None → dnsConfig only. Each container gets
// KUBERNETES_SERVICE_HOST/PORT and, with enableServiceLinks (default), the variables of its
// namespace's Services, as Kubernetes writes them.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Kubelet } from "@mk/kubelet/kubelet.js";
import type { PodNetwork } from "@mk/kubelet/network/pod-network.js";
import { DockerRuntime } from "@mk/kubelet/runtime/docker.js";
import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from "@mk/kubelet/runtime/names.js";
import { Container, emptyMeta, type Pod } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { pino } from "pino";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { docker, RUN_ID } from "../../harness/docker.js";
import { serviceObject, servicePort } from "../../harness/service.js";
import { eventually } from "../../harness/wait.js";
import { BUSYBOX, cleanupNode, makePod, testKubeletOptions, uniqueNode } from "./fixtures.js";

/** A user-defined Docker network of this run (Docker picks its range), as the kubelet's pod network is. */
class UserDefinedNetwork implements PodNetwork {
  readonly sandboxNetwork = `mk-test-dns-${RUN_ID}-${process.pid}`;
  async ensure(): Promise<void> {
    await docker(["network", "create", "--label", "io.mk.test=kubelet-dns", this.sandboxNetwork]).catch(async (err: unknown) => {
      // A kubelet restarted on the same network: it is already there.
      if (!(await docker(["network", "inspect", this.sandboxNetwork]).then(() => true, () => false))) throw err;
    });
  }
  async syncRoutes(): Promise<void> {}
  async hairpin(): Promise<void> {}
  async teardown(): Promise<void> {
    await docker(["network", "rm", this.sandboxNetwork]).catch(() => undefined); // never made: nothing to remove
  }
}

const NS = `dns-${RUN_ID}`.slice(0, 40);
const CLUSTER_DNS = "10.106.0.10";
const HOST_RESOLV = "nameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n";
const nodeName = uniqueNode("dns");
/** A second node whose kubelet has no --cluster-dns. */
const plainNode = uniqueNode("dnsplain");
const net = new UserDefinedNetwork();
let api: TestApiServer;
let cs: Clientset;
let kubelet: Kubelet;
let plain: Kubelet;
let rootDir: string;
let webIp = "";
let kubernetesIp = "";

before(async () => {
  api = await startTestApiServer({ serviceClusterIpRange: "10.106.0.0/16" });
  cs = connect({ server: api.address });
  rootDir = await mkdtemp(join(tmpdir(), "mk-kubelet-dns-"));
  const resolvConf = join(rootDir, "host-resolv.conf");
  await writeFile(resolvConf, HOST_RESOLV);
  await cs.namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: emptyMeta({ name: NS }), spec: undefined, status: undefined });
  const web = await cs.services.create({ ...serviceObject("web-front", { ports: [servicePort({ name: "http", port: 80, targetPort: "8080" }), servicePort({ name: "metrics", port: 9090, protocol: "UDP" })] }), metadata: emptyMeta({ name: "web-front", namespace: NS }) });
  webIp = web.spec?.clusterIp ?? "";
  await cs.services.create({ ...serviceObject("db", { clusterIp: "None" }), metadata: emptyMeta({ name: "db", namespace: NS }) });
  kubernetesIp = (await cs.services.get("kubernetes", "default")).spec?.clusterIp ?? "";
  kubelet = new Kubelet(
    cs,
    new DockerRuntime(),
    testKubeletOptions(nodeName, api.address, { rootDir, podCidr: "10.250.0.0/24", dns: { clusterDns: [CLUSTER_DNS], clusterDomain: "cluster.local", resolvConf } }),
    pino({ level: process.env.MK_TEST_LOG ?? "silent" }),
    net,
  );
  await kubelet.start();
  plain = new Kubelet(
    cs,
    new DockerRuntime(),
    testKubeletOptions(plainNode, api.address, { rootDir: join(rootDir, "plain"), dns: { clusterDns: [], resolvConf } }),
    pino({ level: process.env.MK_TEST_LOG ?? "silent" }),
  );
  await plain.start();
});

after(async () => {
  await kubelet?.stop();
  await plain?.stop();
  await cleanupNode(nodeName);
  await cleanupNode(plainNode);
  await net.teardown();
  cs?.close();
  await api?.stop();
  if (rootDir) await rm(rootDir, { recursive: true, force: true });
});

async function runPod(name: string, spec: Partial<Pod["spec"]> = {}, node = nodeName): Promise<Pod> {
  const pod = makePod(name, { containers: [Container.fromPartial({ name: "app", image: BUSYBOX, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", "sleep 3600"] })], ...spec }, NS);
  pod.metadata = emptyMeta({ name, namespace: NS });
  const created = await cs.pods.create(pod);
  await cs.bind(NS, name, node);
  await eventually(
    `${name} running`,
    async () => {
      const p = await cs.pods.get(name, NS);
      return p.status?.phase === "Running" && p.status.containerStatuses.every((s) => s.state?.running) ? p : undefined;
    },
    90_000,
    { everyMs: 250 },
  );
  return created;
}

async function execIn(pod: Pod, script: string): Promise<string> {
  const ids = await docker(["ps", "-q", "--filter", `label=${LABEL_POD_UID}=${pod.metadata?.uid}`, "--filter", `label=${LABEL_CONTAINER_NAME}=app`]);
  const id = ids.split("\n")[0];
  assert.ok(id, `no running app container for ${pod.metadata?.name}`);
  return await docker(["exec", id, "sh", "-c", script]);
}

test("ClusterFirst (the default): the cluster DNS, the namespace's search list, ndots:5 — not Docker's 127.0.0.11", async () => {
  const pod = await runPod("cluster-first");
  const text = await execIn(pod, "cat /etc/resolv.conf");
  assert.equal(text.trim(), `nameserver ${CLUSTER_DNS}\nsearch ${NS}.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5`);
  // The sandbox is on the user-defined network, where Docker's own file names its embedded resolver.
  const sandbox = (await docker(["ps", "-q", "--filter", `label=${LABEL_POD_UID}=${pod.metadata?.uid}`, "--filter", `label=${LABEL_CONTAINER_NAME}=POD`])).split("\n")[0] ?? "";
  assert.match(await docker(["inspect", "-f", "{{json .NetworkSettings.Networks}}", sandbox]), new RegExp(net.sandboxNetwork));
});

test("ClusterFirst on a kubelet without --cluster-dns: the node's resolv.conf, and a MissingClusterDNS warning", async () => {
  const pod = await runPod("no-cluster-dns", {}, plainNode);
  assert.equal(await execIn(pod, "cat /etc/resolv.conf"), HOST_RESOLV.trim());
  const event = await eventually("a MissingClusterDNS event", async () =>
    (await cs.events.list({ namespace: NS })).items.find((e) => e.involvedObject?.name === "no-cluster-dns" && e.reason === "MissingClusterDNS"),
  );
  assert.equal(event.type, "Warning");
  assert.match(event.message, /kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy\. Falling back to "Default" policy\./);
});

test("Default: the node's resolv.conf", async () => {
  const pod = await runPod("default-policy", { dnsPolicy: "Default" });
  assert.equal(await execIn(pod, "cat /etc/resolv.conf"), HOST_RESOLV.trim());
});

test("None: dnsConfig alone", async () => {
  const pod = await runPod("none-policy", { dnsPolicy: "None", dnsConfig: { nameservers: ["192.0.2.1"], searches: ["my.example"], options: [{ name: "ndots", value: "2" }] } });
  assert.equal(await execIn(pod, "cat /etc/resolv.conf"), "nameserver 192.0.2.1\nsearch my.example\noptions ndots:2");
});

test("Service variables: kubernetes always, the namespace's Services with enableServiceLinks (default), none for headless ones", async () => {
  const pod = await runPod("links");
  const env = new Map(
    (await execIn(pod, "env"))
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
  );
  const expected: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: kubernetesIp,
    KUBERNETES_SERVICE_PORT: "443",
    KUBERNETES_SERVICE_PORT_HTTPS: "443",
    KUBERNETES_PORT: `tcp://${kubernetesIp}:443`,
    KUBERNETES_PORT_443_TCP: `tcp://${kubernetesIp}:443`,
    KUBERNETES_PORT_443_TCP_PROTO: "tcp",
    KUBERNETES_PORT_443_TCP_PORT: "443",
    KUBERNETES_PORT_443_TCP_ADDR: kubernetesIp,
    WEB_FRONT_SERVICE_HOST: webIp,
    WEB_FRONT_SERVICE_PORT: "80",
    WEB_FRONT_SERVICE_PORT_HTTP: "80",
    WEB_FRONT_SERVICE_PORT_METRICS: "9090",
    WEB_FRONT_PORT: `tcp://${webIp}:80`,
    WEB_FRONT_PORT_80_TCP: `tcp://${webIp}:80`,
    WEB_FRONT_PORT_80_TCP_PROTO: "tcp",
    WEB_FRONT_PORT_80_TCP_PORT: "80",
    WEB_FRONT_PORT_80_TCP_ADDR: webIp,
    WEB_FRONT_PORT_9090_UDP: `udp://${webIp}:9090`,
    WEB_FRONT_PORT_9090_UDP_PROTO: "udp",
    WEB_FRONT_PORT_9090_UDP_PORT: "9090",
    WEB_FRONT_PORT_9090_UDP_ADDR: webIp,
  };
  for (const [k, v] of Object.entries(expected)) assert.equal(env.get(k), v, k);
  assert.deepEqual(
    [...env.keys()].filter((k) => /_(SERVICE_|PORT)/.test(k) && !(k in expected)),
    [],
  );
  assert.ok(![...env.keys()].some((k) => k.startsWith("DB_")), "a headless Service has no variables");

  const off = await runPod("no-links", { enableServiceLinks: false });
  const keys = (await execIn(off, "env")).split("\n").map((l) => l.slice(0, l.indexOf("=")));
  assert.ok(keys.includes("KUBERNETES_SERVICE_HOST"));
  assert.ok(!keys.some((k) => k.startsWith("WEB_FRONT_")), keys.join(" "));
});
