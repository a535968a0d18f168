// Acceptance: SIGKILL the mk-kubelet process with 5 pods running and start it again — the same 10
// container ids, restart counts unchanged, nothing new created. Real processes, real API server.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { type Clientset, connect } from "@mk/proto/client";
import { LABEL_NODE_NAME } from "@mk/kubelet/runtime/names.js";
import { podNetworkDown } from "@mk/kubectl/cluster/podnet-cleanup.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { firstPodCidr, freeClusterCidr } from "../../harness/cluster-cidr.js";
import { containersByLabel } from "../../harness/docker.js";
import { BUSYBOX, cleanupNode, eventually, makePod, PAUSE, uniqueNode } from "./fixtures.js";

const MAIN = fileURLToPath(new URL("../../../../kubelet/dist/main.js", import.meta.url));
const nodeName = uniqueNode("rs");
// No controller manager here: the kubelet's pods go on --pod-cidr, a range of this run's own.
const clusterCidr = freeClusterCidr();
let api: TestApiServer;
let cs: Clientset;
const procs: ChildProcess[] = [];

function startKubelet(): ChildProcess {
  const p = spawn(
    process.execPath,
    [MAIN, "--server", api.address, "--node-name", nodeName, "--node-ip", "127.0.0.1", "--port", "0", "--healthz-port=-1", "--lease-renew", "1", "--pod-infra-image", PAUSE, "--cluster-cidr", clusterCidr, "--pod-cidr", firstPodCidr(clusterCidr), "--log-level", process.env.MK_TEST_LOG ?? "warn"],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  procs.push(p);
  return p;
}

async function killed(p: ChildProcess, signal: NodeJS.Signals): Promise<void> {
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
  for (const p of procs) await killed(p, "SIGKILL");
  await cleanupNode(nodeName);
  if (api) await podNetworkDown(api.address);
  cs?.close();
  await api?.stop();
});

async function createdEvents(): Promise<number> {
  const evs = await cs.events.list({ namespace: "default" });
  return evs.items.filter((e) => e.reason === "Created" && e.source?.host === nodeName).reduce((n, e) => n + e.count, 0);
}

test("SIGKILL and restart: the same containers, the same restart counts, nothing created", async () => {
  const first = startKubelet();
  for (let i = 0; i < 5; i++) {
    const pod = makePod(`keep-${i}`, { nodeName, containers: [{ name: "c", image: BUSYBOX, imagePullPolicy: "IfNotPresent", command: ["sleep", "3600"] }] as never });
    if (pod.metadata) pod.metadata.uid = "";
    await cs.pods.create(pod);
  }
  await eventually("5 pods Running", async () => {
    const l = await cs.pods.list({ namespace: "default" });
    return l.items.filter((p) => p.status?.phase === "Running").length === 5 ? true : undefined;
  }, 60_000);
  const before = (await containersByLabel(LABEL_NODE_NAME, nodeName)).sort();
  assert.equal(before.length, 10);
  const createdBefore = await eventually("Created events recorded", async () => ((await createdEvents()) >= 5 ? await createdEvents() : undefined));
  const lease1 = await cs.leases.get(nodeName, "mk-node-lease");

  await killed(first, "SIGKILL");
  startKubelet();
  // The new process is up once it renews the lease; then give it several pod syncs.
  await eventually("lease renewed by the new kubelet", async () => {
    const l = await cs.leases.get(nodeName, "mk-node-lease");
    return l.spec?.renewTime !== lease1.spec?.renewTime ? true : undefined;
  }, 20_000);
  await new Promise((r) => setTimeout(r, 12_000));

  const after = (await containersByLabel(LABEL_NODE_NAME, nodeName)).sort();
  assert.deepEqual(after, before, "the same 10 container ids");
  const pods = await cs.pods.list({ namespace: "default" });
  for (const p of pods.items) {
    assert.equal(p.status?.phase, "Running");
    assert.equal(p.status?.containerStatuses[0]?.restartCount, 0);
  }
  assert.equal(await createdEvents(), createdBefore, "no container created by the restarted kubelet");
});
