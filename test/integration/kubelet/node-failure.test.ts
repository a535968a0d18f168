// Acceptance, lab settings: a real mk-kubelet (lease renew 2 s) and a real mk-controller-manager
// (grace 10 s, toleration 10 s). SIGKILL the kubelet: its Node becomes Ready=Unknown with the
// unreachable taint within the grace period, and after the toleration its pods get a
// deletionTimestamp. Started again, the kubelet makes the Node Ready and removes the containers of
// the pods that were taken away from it.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { podNetworkDown } from "@mk/kubectl/cluster/podnet-cleanup.js";
import { freeClusterCidr } from "../../harness/cluster-cidr.js";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { type Clientset, connect } from "@mk/proto/client";
import { LABEL_NODE_NAME } from "@mk/kubelet/runtime/names.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { containersByLabel } from "../../harness/docker.js";
import { BUSYBOX, cleanupNode, makePod, PAUSE, uniqueNode } from "./fixtures.js";
import { eventually } from "../../harness/wait.js";

const KUBELET = fileURLToPath(new URL("../../../../kubelet/dist/main.js", import.meta.url));
const CONTROLLER = fileURLToPath(new URL("../../../../controller/dist/main.js", import.meta.url));
const nodeName = uniqueNode("nf");
// A second, healthy node: with every node down the controller stops evicting (full disruption).
const healthyNode = uniqueNode("nfok");
const LOG = process.env.MK_TEST_LOG ?? "error";
let api: TestApiServer;
let cs: Clientset;
const procs: ChildProcess[] = [];

// The pods' range of this run: node IPAM (the controller manager) gives each kubelet a podCIDR of it.
const clusterCidr = freeClusterCidr();

function run(main: string, args: string[]): ChildProcess {
  const p = spawn(process.execPath, [main, ...args], { stdio: ["ignore", "inherit", "inherit"] });
  procs.push(p);
  return p;
}

const startKubelet = (name = nodeName, ip = "127.0.0.1") =>
  run(KUBELET, ["--server", api.address, "--node-name", name, "--node-ip", ip, "--port", "0", "--healthz-port=-1", "--lease-renew", "2", "--pod-infra-image", PAUSE, "--cluster-cidr", clusterCidr, "--log-level", LOG]);

async function kill(p: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once("exit", r));
  p.kill(signal);
  await exited;
}

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address });
});

after(async () => {
  for (const p of procs) await kill(p, "SIGKILL");
  await cleanupNode(nodeName);
  await cleanupNode(healthyNode);
  if (api) await podNetworkDown(api.address);
  cs?.close();
  await api?.stop();
});

test("a SIGKILLed kubelet's node goes Unknown and tainted, its pods are evicted; back, it cleans up", async () => {
  const kubelet = startKubelet();
  startKubelet(healthyNode, "127.0.0.3");
  run(CONTROLLER, [
    "--server",
    api.address,
    "--cluster-cidr",
    clusterCidr,
    "--no-leader-elect",
    "--http-listen",
    "",
    "--node-monitor-grace-period",
    "10s",
    "--node-monitor-period",
    "1s",
    "--default-unreachable-toleration-seconds",
    "10",
    "--log-level",
    LOG,
  ]);
  // The pod GC deletes pods bound to nodes that do not exist: create it once the Node is there.
  await eventually("node registered", async () => ((await cs.nodes.get(nodeName)).metadata ? true : undefined), 20_000);
  const pod = makePod("victim", { nodeName, containers: [{ name: "c", image: BUSYBOX, imagePullPolicy: "IfNotPresent", command: ["sleep", "3600"] }] as never });
  if (pod.metadata) pod.metadata.uid = "";
  await cs.pods.create(pod);
  await eventually("pod Running", async () => ((await cs.pods.get("victim", "default")).status?.phase === "Running" ? true : undefined), 30_000);
  assert.equal((await containersByLabel(LABEL_NODE_NAME, nodeName)).length, 2);

  await kill(kubelet, "SIGKILL");
  const killedAt = Date.now();
  const node = await eventually(
    "Ready=Unknown and the unreachable taint",
    async () => {
      const n = await cs.nodes.get(nodeName);
      const ready = n.status?.conditions.find((c) => c.type === "Ready");
      const tainted = n.spec?.taints.some((t) => t.key === "node.kubernetes.io/unreachable" && t.effect === "NoExecute");
      return ready?.status === "Unknown" && tainted ? n : undefined;
    },
    25_000,
    { everyMs: 250 },
  );
  const unknownAfter = Date.now() - killedAt;
  // Grace 10 s from the last renewal (at most 2 s before the kill), plus the 1 s monitor period.
  assert.ok(unknownAfter <= 14_000, `Unknown after ${unknownAfter} ms`);
  assert.equal(node.status?.conditions.find((c) => c.type === "Ready")?.message, "Kubelet stopped posting node status.");

  await eventually("pod evicted (deletionTimestamp) after the toleration", async () => {
    try {
      const p = await cs.pods.get("victim", "default");
      return p.metadata?.deletionTimestamp ? true : undefined;
    } catch {
      return true; // already gone
    }
  }, 30_000, { everyMs: 250 });
  const evictedAfter = Date.now() - killedAt;
  assert.ok(evictedAfter >= 10_000, `evicted ${evictedAfter} ms after the kill`);

  // The kubelet comes back: the node is Ready again and the evicted pod's containers go.
  startKubelet();
  await eventually("Ready again", async () => {
    const n = await cs.nodes.get(nodeName);
    return n.status?.conditions.find((c) => c.type === "Ready")?.status === "True" ? true : undefined;
  }, 30_000);
  await eventually("containers of the evicted pod removed", async () => ((await containersByLabel(LABEL_NODE_NAME, nodeName)).length === 0 ? true : undefined), 30_000);
  await eventually("pod object gone", async () => {
    try {
      await cs.pods.get("victim", "default");
      return undefined;
    } catch {
      return true;
    }
  }, 30_000);
});
