import assert from "node:assert/strict";
import { test } from "node:test";
import { type CycleState, NodeInfo, podInfoOf, type Status, unschedulable, unschedulableMessage } from "@mk/scheduler/framework/index";
import { schedulePod, numFeasibleNodesToFind } from "@mk/scheduler/pipeline";
import { nodeAffinity, ERR_REASON as AFFINITY } from "@mk/scheduler/plugins/node-affinity";
import { nodeName, ERR_REASON as NODE_NAME } from "@mk/scheduler/plugins/node-name";
import { nodePorts, ERR_REASON as PORTS } from "@mk/scheduler/plugins/node-ports";
import { ERR_REASON_CPU, ERR_REASON_MEMORY, ERR_REASON_PODS, nodeResourcesFit } from "@mk/scheduler/plugins/node-resources-fit";
import { ERR_REASON_UNSCHEDULABLE, nodeUnschedulable } from "@mk/scheduler/plugins/node-unschedulable";
import { taintToleration } from "@mk/scheduler/plugins/taint-toleration";
import { leastAllocated } from "@mk/scheduler/plugins/least-allocated";
import { balancedAllocation } from "@mk/scheduler/plugins/balanced-allocation";
import { ownerSpread } from "@mk/scheduler/plugins/owner-spread";
import type { Pod } from "@mk/proto";
import { makeNode, makePod, type NodeOpts, rsOwner } from "../integration/scheduler/fixtures.js";

function nodeInfo(name: string, o: NodeOpts = {}, pods: Pod[] = []): NodeInfo {
  const ni = new NodeInfo(name);
  ni.setNode(makeNode(name, o));
  for (const p of pods) ni.addPod(podInfoOf(p));
  return ni;
}
const stateOf = (pod: Pod): CycleState => ({ podInfo: podInfoOf(pod) });
const ok = (s: Status) => assert.equal(s.code, "Success", s.reasons.join());
const rejects = (s: Status, ...reasons: string[]) => {
  assert.notEqual(s.code, "Success");
  assert.deepEqual(s.reasons, reasons);
};

test("NodeUnschedulable: cordoned and NotReady nodes are unschedulable; the cordon taint can be tolerated", () => {
  const pod = makePod("p");
  ok(nodeUnschedulable.filter(stateOf(pod), pod, nodeInfo("n1")));
  rejects(nodeUnschedulable.filter(stateOf(pod), pod, nodeInfo("n1", { unschedulable: true })), ERR_REASON_UNSCHEDULABLE);
  rejects(nodeUnschedulable.filter(stateOf(pod), pod, nodeInfo("n1", { ready: false })), ERR_REASON_UNSCHEDULABLE);
  const tolerant = makePod("t", { tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists" }] });
  ok(nodeUnschedulable.filter(stateOf(tolerant), tolerant, nodeInfo("n1", { unschedulable: true })));
  assert.equal(nodeUnschedulable.filter(stateOf(pod), pod, new NodeInfo("ghost")).code, "UnschedulableAndUnresolvable");
});

test("NodeName: only the named node fits", () => {
  const pod = makePod("p", { nodeName: "n2" });
  rejects(nodeName.filter(stateOf(pod), pod, nodeInfo("n1")), NODE_NAME);
  ok(nodeName.filter(stateOf(pod), pod, nodeInfo("n2")));
});

test("NodeResourcesFit: cpu, memory and pod count, each with its reason", () => {
  const used = [makePod("a", { cpu: "3", memory: "3Gi" })];
  const n = nodeInfo("n1", { cpu: "4", memory: "4Gi", pods: "2" }, used);
  const fits = makePod("p", { cpu: "1", memory: "1Gi" });
  ok(nodeResourcesFit.filter(stateOf(fits), fits, n));
  const big = makePod("p", { cpu: "1500m", memory: "2Gi" });
  rejects(nodeResourcesFit.filter(stateOf(big), big, n), ERR_REASON_CPU, ERR_REASON_MEMORY);
  n.addPod(podInfoOf(makePod("b")));
  const none = makePod("p");
  rejects(nodeResourcesFit.filter(stateOf(none), none, n), ERR_REASON_PODS);
  // Removing a pod gives its requests back.
  n.removePod("default/a");
  n.removePod("default/b");
  ok(nodeResourcesFit.filter(stateOf(big), big, n));
});

test("NodeAffinity: nodeSelector must match every label", () => {
  const pod = makePod("p", { nodeSelector: { disk: "ssd", zone: "a" } });
  ok(nodeAffinity.filter(stateOf(pod), pod, nodeInfo("n1", { labels: { disk: "ssd", zone: "a", x: "y" } })));
  rejects(nodeAffinity.filter(stateOf(pod), pod, nodeInfo("n1", { labels: { disk: "ssd" } })), AFFINITY);
  assert.equal(AFFINITY, "node(s) didn't match Pod's node affinity/selector");
});

test("TaintToleration: NoSchedule and NoExecute taints need a toleration; PreferNoSchedule does not filter", () => {
  const taints = [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }];
  const pod = makePod("p");
  rejects(taintToleration.filter(stateOf(pod), pod, nodeInfo("n1", { taints })), "node(s) had untolerated taint {dedicated: gpu}");
  for (const t of [
    { key: "dedicated", operator: "Equal", value: "gpu" },
    { key: "dedicated", operator: "Exists" },
    { operator: "Exists" },
    { key: "dedicated", value: "gpu", effect: "NoSchedule" },
  ]) {
    const tol = makePod("t", { tolerations: [t] });
    ok(taintToleration.filter(stateOf(tol), tol, nodeInfo("n1", { taints })));
  }
  const wrong = makePod("w", { tolerations: [{ key: "dedicated", value: "cpu" }, { key: "dedicated", operator: "Exists", effect: "NoExecute" }] });
  assert.notEqual(taintToleration.filter(stateOf(wrong), wrong, nodeInfo("n1", { taints })).code, "Success");
  ok(taintToleration.filter(stateOf(pod), pod, nodeInfo("n1", { taints: [{ key: "k", value: "v", effect: "PreferNoSchedule" }] })));
});

test("NodePorts: a host port is taken while its pod is on the node, free again once it leaves", () => {
  const n = nodeInfo("n1", {}, [makePod("a", { hostPort: 8080 })]);
  const same = makePod("p", { hostPort: 8080 });
  rejects(nodePorts.filter(stateOf(same), same, n), PORTS);
  const other = makePod("q", { hostPort: 8081 });
  ok(nodePorts.filter(stateOf(other), other, n));
  n.removePod("default/a");
  ok(nodePorts.filter(stateOf(same), same, n));
});

test("NodePorts: host addresses as Kubernetes' HostPortInfo.CheckConflict sees them", () => {
  // Each row: the port a pod on the node holds, the port the new pod asks for, and whether they clash.
  type Port = { hostIp?: string; protocol?: string };
  const rows: [held: Port, asked: Port, conflict: boolean][] = [
    [{}, { hostIp: "127.0.0.1" }, true], // the node's pod binds every address, 127.0.0.1 included
    [{ hostIp: "127.0.0.1" }, {}, true], // asking for every address takes 127.0.0.1 too
    [{ hostIp: "0.0.0.0" }, { hostIp: "10.0.0.5" }, true], // 0.0.0.0 spelled out is the same as unset
    [{ hostIp: "127.0.0.1" }, { hostIp: "127.0.0.1" }, true],
    [{ hostIp: "127.0.0.1" }, { hostIp: "127.0.0.2" }, false], // two addresses share port 8080
    [{}, { protocol: "UDP" }, false], // TCP 8080 and UDP 8080 are different ports
    [{ hostIp: "127.0.0.1", protocol: "UDP" }, { protocol: "UDP" }, true],
  ];
  for (const [held, asked, conflict] of rows) {
    const n = nodeInfo("n1", {}, [makePod("a", { hostPort: 8080, ...held })]);
    const pod = makePod("p", { hostPort: 8080, ...asked });
    const s = nodePorts.filter(stateOf(pod), pod, n);
    const row = `held ${JSON.stringify(held)}, asked ${JSON.stringify(asked)}`;
    assert.deepEqual([s.code !== "Success", s.reasons], [conflict, conflict ? [PORTS] : []], row);
  }
});

test("scores: least allocated, balanced allocation, owner spread", () => {
  const pod = makePod("p", { cpu: "1", memory: "1Gi", owner: rsOwner("web") });
  const empty = nodeInfo("a", { cpu: "4", memory: "4Gi" });
  const busy = nodeInfo("b", { cpu: "4", memory: "4Gi" }, [makePod("x", { cpu: "2", memory: "1Gi", owner: rsOwner("web") })]);
  // empty: (4000-1000)/4000 = 75 for cpu and memory alike.
  assert.equal(leastAllocated.score(stateOf(pod), pod, empty), 75);
  // busy: cpu (4-3)/4 = 25, memory (4-2)/4 = 50 → 37.5.
  assert.equal(leastAllocated.score(stateOf(pod), pod, busy), 37.5);
  // busy: cpu 75 % used, memory 50 % → std 0.125 → 87.5.
  assert.equal(balancedAllocation.score(stateOf(pod), pod, busy), 87.5);
  assert.equal(balancedAllocation.score(stateOf(pod), pod, empty), 100);
  const raw = [ownerSpread.score(stateOf(pod), pod, empty), ownerSpread.score(stateOf(pod), pod, busy)];
  assert.deepEqual(raw, [0, 1]);
  ownerSpread.normalize(stateOf(pod), raw);
  assert.deepEqual(raw, [100, 0]);
});

test("the unschedulable message is Kubernetes': counts aggregated, reasons sorted", () => {
  const msg = unschedulableMessage(3, [
    unschedulable("Insufficient memory"),
    unschedulable(ERR_REASON_UNSCHEDULABLE),
    unschedulable("Insufficient memory"),
  ]);
  assert.equal(msg, "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient memory.");
  assert.equal(unschedulableMessage(0, []), "no nodes available to schedule pods");
});

test("pipeline: the pod lands on the only node with room; too big for all gives the exact message", () => {
  const nodes = [
    nodeInfo("n1", { memory: "4Gi" }, [makePod("a", { memory: "3Gi" })]),
    nodeInfo("n2", { memory: "4Gi" }, [makePod("b", { memory: "2Gi" })]),
    nodeInfo("n3", { memory: "4Gi" }),
  ];
  const mid = schedulePod(makePod("p", { memory: "3Gi" }), nodes).result;
  assert.equal(mid.kind, "Scheduled");
  assert.equal(mid.kind === "Scheduled" && mid.nodeName, "n3");
  assert.equal(mid.decisions.rejected.get("n1")?.plugin, "NodeResourcesFit");

  nodes[0] = nodeInfo("n1", { memory: "4Gi", unschedulable: true });
  const big = schedulePod(makePod("q", { memory: "5Gi" }), nodes).result;
  assert.equal(big.kind, "Unschedulable");
  assert.equal(big.kind === "Unschedulable" && big.message, "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient memory.");
  assert.equal(big.decisions.rejected.size, 3);
});

test("pipeline: ties break by pod uid, reproducibly, whatever the node order", () => {
  const names = ["n1", "n2", "n3", "n4"];
  const nodes = names.map((n) => nodeInfo(n));
  const chosen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const pod = makePod(`p${i}`);
    const a = schedulePod(pod, nodes).result;
    const b = schedulePod(pod, [...nodes].reverse(), undefined, 3).result;
    assert.equal(a.kind, "Scheduled");
    assert.deepEqual(a.kind === "Scheduled" && a.nodeName, b.kind === "Scheduled" && b.nodeName);
    if (a.kind === "Scheduled") chosen.add(a.nodeName);
  }
  // Different uids spread over the tied nodes.
  assert.equal(chosen.size, 4);
});

test("pipeline: 30 pods of one owner on 3 equal nodes spread 10/10/10", () => {
  const nodes = ["n1", "n2", "n3"].map((n) => nodeInfo(n, { cpu: "4", memory: "4Gi" }));
  let start = 0;
  for (let i = 0; i < 30; i++) {
    const pod = makePod(`web-${i}`, { cpu: "100m", memory: "64Mi", owner: rsOwner("web") });
    const out = schedulePod(pod, nodes, undefined, start);
    start = out.nextStartIndex;
    assert.equal(out.result.kind, "Scheduled");
    if (out.result.kind !== "Scheduled") continue;
    const name = out.result.nodeName;
    nodes.find((n) => n.name === name)!.addPod(podInfoOf(pod));
  }
  assert.deepEqual(nodes.map((n) => n.podCount), [10, 10, 10]);
});

test("pipeline: large clusters score a bounded, rotating sample", () => {
  assert.equal(numFeasibleNodesToFind(50, 0), 50);
  assert.equal(numFeasibleNodesToFind(1000, 0), 420);
  assert.equal(numFeasibleNodesToFind(5000, 0), 500);
  assert.equal(numFeasibleNodesToFind(200, 10), 100);
  const nodes = Array.from({ length: 1000 }, (_, i) => nodeInfo(`n${String(i).padStart(4, "0")}`));
  const first = schedulePod(makePod("p"), nodes, undefined, 0);
  assert.equal(first.result.decisions.nodesEvaluated, 420);
  assert.equal(first.nextStartIndex, 420);
  const second = schedulePod(makePod("q"), nodes, undefined, first.nextStartIndex);
  assert.equal(second.nextStartIndex, 840);
});
