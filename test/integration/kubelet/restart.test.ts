// Acceptance: SIGKILL the mk-kubelet process with 5 pods running and start it again — the same 10
// container ids, restart counts unchanged, nothing new created. Real processes, real API server.
// "Nothing created" is checked once the restarted kubelet has provably synced every pod (it rewrites
// a status planted while it was down), not after a sleep that passes whether or not it synced.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { type Clientset, connect } from "@mk/proto/client";
import { LABEL_NODE_NAME } from "@mk/kubelet/runtime/names.js";
import { podNetworkDown } from "@mk/kubectl/cluster/podnet-cleanup.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { firstPodCidr, freeClusterCidr } from "../../harness/cluster-cidr.js";
import { containersByLabel, docker } from "../../harness/docker.js";
import { BUSYBOX, cleanupNode, makePod, PAUSE, uniqueNode } from "./fixtures.js";
import { eventually } from "../../harness/wait.js";

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

/** Containers of this node that Docker created in [sinceS, untilS] (unix seconds), from its event log. */
async function containersCreated(sinceS: number, untilS: number): Promise<string[]> {
  const out = await docker(["events", "--since", String(sinceS), "--until", String(untilS), "--filter", "type=container", "--filter", "event=create", "--filter", `label=${LABEL_NODE_NAME}=${nodeName}`, "--format", "{{.Actor.ID}}"]);
  return out ? out.split("\n") : [];
}

/** A status no kubelet writes (its statuses carry an empty message): whoever replaces it has synced the pod. */
const STALE = "stale: written by the test while the kubelet was down";

test("SIGKILL and restart: the same containers, the same restart counts, nothing created", async () => {
  const first = startKubelet();
  const names = [0, 1, 2, 3, 4].map((i) => `keep-${i}`);
  for (const name of names) {
    const pod = makePod(name, { nodeName, containers: [{ name: "c", image: BUSYBOX, imagePullPolicy: "IfNotPresent", command: ["sleep", "3600"] }] as never });
    if (pod.metadata) pod.metadata.uid = "";
    await cs.pods.create(pod);
  }
  await eventually("5 pods Running", async () => {
    const l = await cs.pods.list({ namespace: "default" });
    return l.items.filter((p) => p.status?.phase === "Running").length === 5;
  }, 60_000);
  const before = (await containersByLabel(LABEL_NODE_NAME, nodeName)).sort();
  assert.equal(before.length, 10);
  const createdBefore = await eventually("Created events recorded", async () => {
    const n = await createdEvents();
    return n >= 5 && n;
  }, 30_000);

  await killed(first, "SIGKILL");
  // With the kubelet down, each pod gets a status it would never write. The restarted kubelet's
  // first sync of a pod computes the status from what runs and posts it, replacing this one: once
  // all five are replaced, every pod has been synced at least once since the restart.
  for (const name of names) {
    const p = await cs.pods.get(name, "default");
    assert.ok(p.status, `pod ${name} has a status`);
    p.status.message = STALE;
    await cs.pods.updateStatus(p);
  }
  // Docker's clock, in whole seconds: events in the second of the restart count too.
  const restartedAt = Math.floor(Date.now() / 1000) - 1;
  startKubelet();
  await eventually("the restarted kubelet's first sync of every pod (its status replaces the stale one)", async (why) => {
    const stale = (await cs.pods.list({ namespace: "default" })).items.filter((p) => p.status?.message === STALE).map((p) => p.metadata?.name);
    return stale.length === 0 || why(`still stale: ${stale.join(", ")}`);
  }, 60_000);

  const after = (await containersByLabel(LABEL_NODE_NAME, nodeName)).sort();
  assert.deepEqual(after, before, "the same 10 container ids");
  assert.deepEqual(await containersCreated(restartedAt, Math.ceil(Date.now() / 1000) + 1), [], "Docker created no container for this node since the restart");
  const pods = await cs.pods.list({ namespace: "default" });
  assert.deepEqual(pods.items.map((p) => [p.metadata?.name, p.status?.phase, p.status?.containerStatuses[0]?.restartCount]).sort(), names.map((n) => [n, "Running", 0]));
  assert.equal(await createdEvents(), createdBefore, "no Created event from the restarted kubelet");
});
