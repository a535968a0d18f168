// The kubelet and its pod network against the real API server and real Docker, through the
// PodNetwork seam: until its Node has a podCIDR the node reports NetworkUnavailable=True and
// Ready=False and starts no pod; once node IPAM's podCIDR is in the Node (written here by hand), the
// network is set up on exactly that range, the conditions flip, the pod runs, its sandbox joins the
// network the PodNetwork names, and the routes get every other node's podCIDR and InternalIP.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Kubelet } from "@mk/kubelet/kubelet.js";
import type { PodNetwork } from "@mk/kubelet/network/pod-network.js";
import type { PeerNode } from "@mk/kubelet/network/routes.js";
import { DockerRuntime } from "@mk/kubelet/runtime/docker.js";
import { emptyMeta, Node } from "@mk/proto";
import { type Clientset, connect, retryOnConflict } from "@mk/proto/client";
import { pino } from "pino";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { docker } from "../../harness/docker.js";
import { BUSYBOX, cleanupNode, eventually, inspect, makePod, PAUSE, podContainers, uniqueNode } from "./fixtures.js";

/**
 * Records what the kubelet asks of it; ensure makes a plain Docker network of this run (on a range
 * Docker picks: the podCIDR here is made up and must not become a bridge on the host).
 */
class RecordingNetwork implements PodNetwork {
  readonly sandboxNetwork = `mk-test-podnet-${process.pid}`;
  ensured: string[] = [];
  routed: PeerNode[][] = [];
  async ensure(podCidr: string): Promise<void> {
    this.ensured.push(podCidr);
    await docker(["network", "create", "--label", "io.mk.test=network-gate", this.sandboxNetwork]);
  }
  async syncRoutes(nodes: PeerNode[]): Promise<void> {
    this.routed.push(nodes);
  }
  async hairpin(): Promise<void> {}
  async teardown(): Promise<void> {
    await docker(["network", "rm", this.sandboxNetwork]).catch(() => undefined); // never made: nothing to remove
  }
}

const log = pino({ level: process.env.MK_TEST_LOG ?? "silent" });
const nodeName = uniqueNode("net");
const net = new RecordingNetwork();
let api: TestApiServer;
let cs: Clientset;
let kubelet: Kubelet;

const condition = async (type: string) => (await cs.nodes.get(nodeName)).status?.conditions.find((c) => c.type === type);

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address });
  const opts = { nodeName, clusterId: api.address, nodeIp: "127.0.0.1", port: 0, healthzPort: -1, podInfraImage: PAUSE, allowPrivileged: false, leaseRenewMs: 1_000, labels: {}, taints: [], resyncMs: 1_000 };
  kubelet = new Kubelet(cs, new DockerRuntime(), opts, log, net);
  await kubelet.start();
});

after(async () => {
  await kubelet?.stop();
  await cleanupNode(nodeName);
  await net.teardown();
  cs?.close();
  await api?.stop();
});

test("no podCIDR: NetworkUnavailable, not Ready, no pod started; with one: network on it, Ready, the pod runs on the pod network", async () => {
  const unavailable = await eventually("NetworkUnavailable=True", async () => ((await condition("NetworkUnavailable"))?.status === "True" ? await condition("NetworkUnavailable") : undefined), 20_000);
  assert.equal(unavailable.reason, "NoPodCIDR");
  assert.equal((await condition("Ready"))?.status, "False");
  const pod = makePod("gated", { nodeName, containers: [{ name: "c", image: BUSYBOX, imagePullPolicy: "IfNotPresent", command: ["sleep", "3600"] }] as never });
  if (pod.metadata) pod.metadata.uid = "";
  const created = await cs.pods.create(pod);
  // Five resyncs' worth: the pod loop has not started, so nothing of the pod may be in Docker.
  await new Promise((r) => setTimeout(r, 5_000));
  assert.deepEqual(await podContainers(created.metadata?.uid ?? ""), [], "no container before the pod network");
  assert.deepEqual(net.ensured, []);

  // A peer with a podCIDR, then node IPAM's write into this Node.
  await cs.nodes.create(Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: emptyMeta({ name: `${nodeName}-peer` }), spec: { podCidr: "10.199.7.0/24", podCidrs: ["10.199.7.0/24"] } }));
  const peer = await cs.nodes.get(`${nodeName}-peer`);
  await cs.nodes.updateStatus(Node.fromPartial({ ...peer, status: { addresses: [{ type: "InternalIP", address: "127.0.0.9" }] } }));
  await retryOnConflict(async () => {
    const n = await cs.nodes.get(nodeName);
    if (n.spec) {
      n.spec.podCidr = "10.199.3.0/24";
      n.spec.podCidrs = ["10.199.3.0/24"];
    }
    await cs.nodes.update(n);
  });
  await eventually("NetworkUnavailable=False", async () => ((await condition("NetworkUnavailable"))?.status === "False" ? true : undefined), 20_000);
  assert.deepEqual(net.ensured, ["10.199.3.0/24"]);
  assert.equal((await condition("Ready"))?.status, "True");
  await eventually("pod Running", async () => ((await cs.pods.get("gated", "default")).status?.phase === "Running" ? true : undefined), 60_000);
  const ids = await podContainers(created.metadata?.uid ?? "");
  const sandbox = (await Promise.all(ids.map(inspect))).find((c) => c.Config.Labels["io.mk.container.type"] === "sandbox");
  assert.equal(sandbox?.HostConfig.NetworkMode, net.sandboxNetwork, "the sandbox joined the pod network");
  const routed = await eventually("routes synced", async () => net.routed.find((r) => r.length >= 2), 20_000);
  assert.deepEqual(
    routed.map((p) => [p.name, p.podCidr, p.internalIp]).sort(),
    [
      [nodeName, "10.199.3.0/24", "127.0.0.1"],
      [`${nodeName}-peer`, "10.199.7.0/24", "127.0.0.9"],
    ].sort(),
  );
  await cs.nodes.delete(`${nodeName}-peer`);
});
