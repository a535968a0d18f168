// Two clusters on one Docker engine, each with a node of the same name: every kubelet labels its
// containers with its cluster (by default its --server address) and touches nothing else, so neither
// housekeeping, nor the sync of a pod of the same name, nor the engine's events reach across.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { parseFlags } from "@mk/kubelet/flags.js";
import { Kubelet } from "@mk/kubelet/kubelet.js";
import { DockerRuntime } from "@mk/kubelet/runtime/docker.js";
import { LABEL_CLUSTER, LABEL_NODE_NAME } from "@mk/kubelet/runtime/names.js";
import { type Clientset, connect } from "@mk/proto/client";
import { pino } from "pino";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { BUSYBOX, cleanupNode, inspect, makePod, PAUSE, podContainers, uniqueNode } from "./fixtures.js";
import { eventually } from "../../harness/wait.js";

const nodeName = uniqueNode("twin");
const log = pino({ level: process.env.MK_TEST_LOG ?? "silent" });

interface Cluster {
  api: TestApiServer;
  cs: Clientset;
  kubelet: Kubelet;
}

const clusters: Cluster[] = [];

async function startCluster(): Promise<Cluster> {
  const api = await startTestApiServer();
  const cs = connect({ server: api.address });
  // The kubelet's options as main.ts gets them: the cluster id is derived from --server.
  const flags = parseFlags(["--server", api.address, "--node-name", nodeName, "--node-ip", "127.0.0.1", "--port", "0", "--healthz-port=-1", "--lease-renew", "1", "--pod-infra-image", PAUSE]);
  const kubelet = new Kubelet(cs, new DockerRuntime(), { ...flags.options, resyncMs: 1_000 }, log);
  const c = { api, cs, kubelet };
  clusters.push(c);
  await kubelet.start();
  return c;
}

async function runPod(c: Cluster): Promise<string> {
  const pod = makePod("web", { nodeName, containers: [{ name: "c", image: BUSYBOX, imagePullPolicy: "IfNotPresent", command: ["sleep", "3600"] }] as never });
  if (pod.metadata) pod.metadata.uid = "";
  const created = await c.cs.pods.create(pod);
  await eventually(
    `pod web Running in the cluster at ${c.api.address}`,
    async () => ((await c.cs.pods.get("web", "default")).status?.phase === "Running" ? true : undefined),
    120_000,
  );
  return created.metadata?.uid ?? "";
}

async function running(ids: string[]): Promise<boolean> {
  const states = await Promise.all(ids.map(async (id) => (await inspect(id)).State.Running));
  return states.every((r) => r);
}

before(async () => {
  await startCluster();
  await startCluster();
});

after(async () => {
  for (const c of clusters) {
    await c.kubelet.stop();
    c.cs.close();
  }
  await cleanupNode(nodeName);
  for (const c of clusters) await c.api.stop();
});

test("two clusters, the same node name, one engine: neither kubelet touches the other's containers", async () => {
  const [a, b] = clusters;
  assert.ok(a && b);
  assert.notEqual(a.api.address, b.api.address);
  // The same pod name in both clusters: a sync of default/web in one must not remove the other's.
  const uidA = await runPod(a);
  const idsA = (await podContainers(uidA)).sort();
  assert.equal(idsA.length, 2, "pause and app container of cluster A");
  const uidB = await runPod(b);
  const idsB = (await podContainers(uidB)).sort();
  assert.equal(idsB.length, 2, "pause and app container of cluster B");

  // Housekeeping on both nodes, then several resyncs and whatever the engine's events trigger.
  await a.kubelet.pods.manager.housekeeping();
  await b.kubelet.pods.manager.housekeeping();
  await new Promise((r) => setTimeout(r, 4_000));
  await a.kubelet.pods.manager.housekeeping();
  await b.kubelet.pods.manager.housekeeping();

  assert.deepEqual((await podContainers(uidA)).sort(), idsA, "cluster A's containers unchanged");
  assert.deepEqual((await podContainers(uidB)).sort(), idsB, "cluster B's containers unchanged");
  assert.ok(await running(idsA), "cluster A's containers still running");
  assert.ok(await running(idsB), "cluster B's containers still running");
  for (const c of [a, b]) {
    const pod = await c.cs.pods.get("web", "default");
    assert.equal(pod.status?.phase, "Running");
    assert.equal(pod.status?.containerStatuses[0]?.restartCount, 0);
  }
  for (const [uid, ids, c] of [[uidA, idsA, a], [uidB, idsB, b]] as const) {
    for (const id of ids) {
      const labels = (await inspect(id)).Config.Labels;
      assert.equal(labels[LABEL_NODE_NAME], nodeName);
      assert.equal(labels[LABEL_CLUSTER], c.api.address, `container of pod ${uid} labelled with its cluster`);
    }
  }
});
