// Node lifecycle controller against a real API server and etcd, with lab settings: the fake kubelet
// renews Leases every 2 s, the controller's grace period is 10 s and pods tolerate an unreachable
// node 10 s by default. A silenced node (its kubelet "SIGKILLed") turns Ready=Unknown with the
// unreachable taint within the grace period, its pods get a deletionTimestamp after the toleration
// and are replaced elsewhere; pods on other nodes are untouched; the node coming back loses the taint.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { emptyMeta, type Node, type Pod, PodSpec } from "@mk/proto";
import { type Clientset, connect, EventRecorder } from "@mk/proto/client";
import { InformerFactory } from "@mk/proto/informer";
import { silentLogger } from "@mk/controller/log.js";
import { NODE_LEASE_NAMESPACE, NodeLifecycleController } from "@mk/controller/nodelifecycle/controller.js";
import { ReplicaSetController } from "@mk/controller/replicaset/controller.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { FakeKubelet, simulatedNodes } from "../../harness/fake-kubelet.js";
import { replicaSet } from "./lab.js";
import { eventually } from "../../harness/wait.js";

const LEASE_RENEW_MS = 2_000;
const GRACE_MS = 10_000;
const MONITOR_MS = 5_000;
const TOLERATION_S = 10;

let server: TestApiServer;
let client: Clientset;
let kubelet: FakeKubelet;
const abort = new AbortController();
const runs: Promise<void>[] = [];
let factory: InformerFactory;

before(async () => {
  server = await startTestApiServer();
  client = connect({ server: server.address });
  kubelet = new FakeKubelet({ client, nodes: simulatedNodes(3), autoBind: true, leaseRenewMs: LEASE_RENEW_MS });
  await kubelet.start();
  factory = new InformerFactory(client, { logger: silentLogger });
  const recorder = new EventRecorder(client, { component: "mk-controller-manager" });
  const pods = factory.informerFor("Pod");
  const nlc = new NodeLifecycleController({
    client,
    nodeInformer: factory.informerFor("Node"),
    leaseInformer: factory.informerFor("Lease", { namespace: NODE_LEASE_NAMESPACE }),
    podInformer: pods,
    recorder,
    logger: silentLogger,
    nodeMonitorGracePeriodMs: GRACE_MS,
    nodeMonitorPeriodMs: MONITOR_MS,
    defaultUnreachableTolerationSeconds: TOLERATION_S,
  });
  const rsc = new ReplicaSetController({ client, rsInformer: factory.informerFor("ReplicaSet"), podInformer: pods, recorder, logger: silentLogger });
  factory.start(abort.signal);
  runs.push(nlc.run(2, abort.signal), rsc.run(2, abort.signal));
});

after(async () => {
  abort.abort();
  await Promise.allSettled(runs);
  await factory?.stop();
  await kubelet?.stop();
  client?.close();
  await server?.stop();
});

const ready = (n: Node) => n.status?.conditions.find((c) => c.type === "Ready");
const unreachable = (n: Node) => n.spec?.taints.find((t) => t.key === "node.kubernetes.io/unreachable" && t.effect === "NoExecute");
const podsOn = async (node: string) => (await client.pods.list({ namespace: "default", fieldSelector: `spec.nodeName=${node}` })).items;
const live = (ps: Pod[]) => ps.filter((p) => !p.metadata?.deletionTimestamp);
const isPodReady = (p: Pod) => p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

test("a silent node: Ready=Unknown + unreachable taint within the grace period, its pods deleted after the toleration, back again without the taint", async () => {
  // 6 replicas, round-robin over fake-1..3 (the fake kubelet binds as a scheduler would): 2 per node.
  await client.replicaSets.create(replicaSet("web", 6));
  // A pod that tolerates an unreachable node forever: never evicted.
  const spec = PodSpec.fromPartial({
    containers: [{ name: "web", image: "mk/web:v1" }],
    nodeName: "fake-1",
    tolerations: [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" }],
  });
  await client.pods.create({ apiVersion: "v1", kind: "Pod", metadata: emptyMeta({ name: "stays", namespace: "default" }), spec, status: undefined });
  await eventually("6 ready replicas and the tolerating pod Running", async () => {
    const rs = await client.replicaSets.get("web", "default");
    return rs.status?.readyReplicas === 6 && isPodReady(await client.pods.get("stays", "default"));
  });
  const victims = live(await podsOn("fake-1")).filter((p) => p.metadata?.name !== "stays");
  const others = [...live(await podsOn("fake-2")), ...live(await podsOn("fake-3"))];
  assert.equal(victims.length, 2);
  assert.equal(others.length, 4);
  // Let a few renewals pass so the controller has seen the Leases change.
  await new Promise((r) => setTimeout(r, 2 * LEASE_RENEW_MS + 200));

  const t0 = Date.now();
  kubelet.silence("fake-1");

  const tainted = await eventually(
    "fake-1 Ready=Unknown with the unreachable taint",
    async () => {
      const n = await client.nodes.get("fake-1");
      return ready(n)?.status === "Unknown" && unreachable(n) ? n : undefined;
    },
    GRACE_MS + MONITOR_MS + 5_000,
  );
  const tUnknown = Date.now() - t0;
  const r = ready(tainted);
  assert.equal(r?.reason, "NodeStatusUnknown");
  assert.equal(r?.message, "Kubelet stopped posting node status.");
  assert.ok(unreachable(tainted)?.timeAdded, "timeAdded set");
  for (const c of tainted.status?.conditions ?? []) assert.equal(c.status, "Unknown", `${c.type} Unknown too`);
  // The last renewal came at most 2 s before the silence, so the node is stale 8–10 s after it;
  // the bound the lab asks for is the grace period (the monitor period is the slack we allow).
  assert.ok(tUnknown >= GRACE_MS - LEASE_RENEW_MS - 500, `marked ${secs(tUnknown)} after the silence: too early`);
  assert.ok(tUnknown <= GRACE_MS + MONITOR_MS, `marked ${secs(tUnknown)} after the silence`);
  for (const n of ["fake-2", "fake-3"]) {
    const other = await client.nodes.get(n);
    assert.equal(ready(other)?.status, "True", `${n} stays Ready`);
    assert.equal(unreachable(other), undefined, `${n} untainted`);
  }

  const victimNames = victims.map((p) => p.metadata?.name ?? "");
  await eventually(
    "fake-1's replicas have a deletionTimestamp",
    async () => {
      const ps = await Promise.all(victimNames.map((n) => client.pods.get(n, "default")));
      return ps.every((p) => p.metadata?.deletionTimestamp);
    },
    TOLERATION_S * 1000 + MONITOR_MS + 5_000,
  );
  const tEvicted = Date.now() - t0;
  const afterTaint = tEvicted - tUnknown;
  assert.ok(afterTaint >= TOLERATION_S * 1000 - 500, `evicted ${secs(afterTaint)} after the taint: before the toleration ran out`);
  assert.ok(afterTaint <= TOLERATION_S * 1000 + MONITOR_MS, `evicted ${secs(afterTaint)} after the taint`);
  process.stdout.write(
    `# silence → Ready=Unknown + taint: ${secs(tUnknown)} (grace ${secs(GRACE_MS)}); taint → deletionTimestamp: ${secs(afterTaint)} (toleration ${TOLERATION_S} s); silence → evicted: ${secs(tEvicted)}\n`,
  );

  // Untouched: the tolerating pod, and every pod on the other nodes.
  assert.equal((await client.pods.get("stays", "default")).metadata?.deletionTimestamp, "");
  for (const p of others) {
    const cur = await client.pods.get(p.metadata?.name ?? "", "default");
    assert.equal(cur.metadata?.deletionTimestamp, "", `${p.metadata?.name} on ${p.spec?.nodeName} untouched`);
    assert.equal(cur.metadata?.uid, p.metadata?.uid);
  }
  // Events: NodeNotReady on the node, TaintManagerEviction on each evicted pod.
  const events = (await client.events.list({ namespace: "default" })).items;
  assert.ok(events.some((e) => e.reason === "NodeNotReady" && e.involvedObject?.kind === "Node" && e.involvedObject.name === "fake-1"));
  for (const name of victimNames) {
    assert.ok(
      events.some((e) => e.reason === "TaintManagerEviction" && e.message === `Marking for deletion Pod default/${name}`),
      `TaintManagerEviction for ${name}`,
    );
  }
  // Terminating pods do not count: the ReplicaSet replaces them on the live nodes.
  await eventually("6 ready replicas again, none new on fake-1", async () => {
    const rs = await client.replicaSets.get("web", "default");
    const fresh = live(await podsOn("fake-1")).filter((p) => p.metadata?.name !== "stays");
    return rs.status?.readyReplicas === 6 && fresh.length === 0;
  });

  // The kubelet comes back: Lease renewed, Ready=True posted → the taint goes; the dead kubelet's
  // unfinished deletions complete.
  const t1 = Date.now();
  await kubelet.resume("fake-1");
  await eventually("fake-1 Ready without the taint", async () => {
    const n = await client.nodes.get("fake-1");
    return ready(n)?.status === "True" && !unreachable(n);
  });
  const tBack = Date.now() - t1;
  await eventually("the evicted pods are gone", async () => (await podsOn("fake-1")).every((p) => !victimNames.includes(p.metadata?.name ?? "")));
  assert.equal((await client.pods.get("stays", "default")).metadata?.deletionTimestamp, "");
  process.stdout.write(`# resume → taint removed: ${secs(tBack)}\n`);
});
