// The chaos suite's invariant checkers (test/chaos/), each fed a made-up history that breaks its
// invariant — a controller that over-creates, a kubelet that starts a second container, a lost
// write, an orphan — and one that keeps it, so every checker is shown to fail and to pass.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Deployment, emptyMeta, Pod, ReplicaSet } from "@mk/proto";
import { EngineChecker } from "../chaos/engines.js";
import { roleOf } from "../chaos/faults.js";
import type { ApiEvent, EngineEvent } from "../chaos/events.js";
import { finalProblems, type Snapshot } from "../chaos/final.js";
import { LostChecker } from "../chaos/lost.js";
import { OrderedMerge } from "../chaos/merge.js";
import { rng } from "../chaos/prng.js";
import { SurgeChecker } from "../chaos/surge.js";

const owner = (uid: string, kind: string) => [{ apiVersion: "apps/v1", kind, name: uid, uid, controller: true, blockOwnerDeletion: true }];

function dep(replicas: number, generation: number, observed: number, image = "mk/web:v1"): Deployment {
  return Deployment.fromPartial({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: emptyMeta({ name: "a", namespace: "default", uid: "d1", generation }),
    spec: {
      replicas,
      selector: { matchLabels: { app: "a" } },
      template: { metadata: emptyMeta({ labels: { app: "a" } }), spec: { containers: [{ name: "web", image }] } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "1", maxUnavailable: "0" } },
    },
    status: { observedGeneration: observed },
  });
}

function rs(uid: string, replicas: number, generation: number, observed: number, statusReplicas: number): ReplicaSet {
  return ReplicaSet.fromPartial({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: emptyMeta({ name: `a-${uid}`, namespace: "default", uid, generation, ownerReferences: owner("d1", "Deployment") }),
    spec: { replicas, selector: { matchLabels: { app: "a" } } },
    status: { replicas: statusReplicas, observedGeneration: observed },
  });
}

function pod(uid: string, rsUid: string | undefined, terminating = false): Pod {
  return Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: emptyMeta({
      name: `p-${uid}`,
      namespace: "default",
      uid,
      labels: { app: "a" },
      ownerReferences: rsUid ? owner(rsUid, "ReplicaSet") : [],
      deletionTimestamp: terminating ? "2026-01-01T00:00:00Z" : undefined,
    }),
    spec: { nodeName: "n1", containers: [{ name: "web", image: "mk/web:v1" }] },
    status: { phase: "Running" },
  });
}

let rv = 0;
const put = (obj: Deployment | ReplicaSet | Pod): ApiEvent => ({ kind: obj.kind, type: "put", rv: ++rv, obj }) as ApiEvent;

test("surge: a ReplicaSet controller that over-creates is reported", () => {
  const c = new SurgeChecker();
  c.feed(put(dep(2, 1, 1)));
  c.feed(put(rs("r1", 2, 1, 1, 2)));
  for (const p of ["p1", "p2", "p3"]) c.feed(put(pod(p, "r1")));
  assert.equal(c.violations.length, 0, "3 pods for 2 replicas + maxSurge 1 is within the bound");
  c.feed(put(pod("p4", "r1")));
  assert.equal(c.violations.length, 1);
  assert.match(c.violations[0]?.detail ?? "", /4 active pods > 2 replicas in effect \+ maxSurge 1/);
  c.feed(put(pod("p5", "r1")));
  assert.equal(c.violations.length, 1, "one violation while it lasts, not one per event");
});

test("surge: a pod without owner but with the selector's labels counts", () => {
  const c = new SurgeChecker();
  c.feed(put(dep(1, 1, 1)));
  c.feed(put(rs("r1", 1, 1, 1, 1)));
  c.feed(put(pod("p1", "r1")));
  c.feed(put(pod("x1", undefined)));
  assert.equal(c.violations.length, 0);
  c.feed(put(pod("x2", undefined)));
  assert.equal(c.violations.length, 1);
});

test("surge: a scale-down is in effect only once the controllers observed it", () => {
  const c = new SurgeChecker();
  c.feed(put(dep(3, 1, 1)));
  c.feed(put(rs("r1", 3, 1, 1, 3)));
  for (const p of ["p1", "p2", "p3", "p4"]) c.feed(put(pod(p, "r1")));
  // Scaled to 1: not yet observed, 3 + 1 stays the bound.
  c.feed(put(dep(1, 2, 1)));
  assert.equal(c.violations.length, 0);
  // Observed, and the ReplicaSet told to shrink: its pods count as its new size until it reports.
  c.feed(put(rs("r1", 1, 2, 1, 4)));
  c.feed(put(dep(1, 2, 2)));
  assert.equal(c.violations.length, 0);
  // It reports having done so (status.replicas 1) while 4 pods still run: a violation.
  c.feed(put(rs("r1", 1, 2, 2, 1)));
  assert.equal(c.violations.length, 1);
  // Terminating pods do not count.
  const d = new SurgeChecker();
  d.feed(put(dep(1, 1, 1)));
  d.feed(put(rs("r1", 1, 1, 1, 1)));
  for (const p of ["p1", "p2", "p3"]) d.feed(put(pod(p, "r1", true)));
  d.feed(put(pod("p4", "r1")));
  assert.equal(d.violations.length, 0);
});

test("merge: events of several watches leave in revision order once every watch passed them", () => {
  const out: number[] = [];
  const m = new OrderedMerge<{ rv: number }>(["rs", "pods"], (e) => out.push(e.rv));
  m.push("rs", { rv: 101 });
  assert.deepEqual(out, [], "the pod watch may still hold an earlier revision");
  m.push("pods", { rv: 100 });
  assert.deepEqual(out, [100]);
  m.advance("pods", 120);
  assert.deepEqual(out, [100, 101]);
  m.push("rs", { rv: 90 });
  assert.deepEqual(out, [100, 101, 90], "a late event is delivered at once");
  assert.equal(m.late, 1);
});

const ev = (action: string, id: string, uid: string, node: string, type = "container", container = "web"): EngineEvent => ({
  action,
  id,
  labels: { "io.mk.pod.uid": uid, "io.mk.node.name": node, "io.mk.container.type": type, "io.mk.container.name": container },
});

test("engines: a kubelet that starts a second app container of a pod is reported", () => {
  const c = new EngineChecker();
  c.feed(ev("start", "s1", "u1", "n1", "sandbox", "POD"));
  c.feed(ev("start", "c1", "u1", "n1"));
  c.feed(ev("die", "c1", "u1", "n1"));
  c.feed(ev("start", "c2", "u1", "n1"));
  assert.equal(c.violations.length, 0, "a restart after the old container died is fine");
  c.feed(ev("start", "c3", "u1", "n1"));
  assert.equal(c.violations.length, 1);
  assert.equal(c.violations[0]?.invariant, "one-app-container");
});

test("engines: a pod uid that starts on a second engine is reported, seeded containers included", () => {
  const c = new EngineChecker();
  c.seed([{ id: "c1", labels: ev("start", "c1", "u1", "n1").labels }]);
  c.feed(ev("start", "c2", "u2", "n2"));
  assert.equal(c.violations.length, 0);
  c.feed(ev("start", "s9", "u1", "n2", "sandbox", "POD"));
  assert.equal(c.violations.length, 1);
  assert.equal(c.violations[0]?.invariant, "one-engine");
  c.feed(ev("destroy", "c1", "u1", "n1"));
  c.feed(ev("start", "c5", "u1", "n2"));
  assert.equal(c.violations.length, 1, "once the first engine's container is gone, the pod may run on the second");
});

test("lost: an event or a read that differs from the last acknowledged write is reported", () => {
  const c = new LostChecker();
  c.acked("a", { replicas: 2, image: "mk/web:v1" }, 50);
  c.feed({ kind: "Deployment", type: "put", rv: 40, obj: dep(1, 1, 1) });
  assert.equal(c.violations.length, 0, "an event older than the write may show the spec before it");
  c.feed({ kind: "Deployment", type: "put", rv: 50, obj: dep(2, 2, 1) });
  c.unanswered("a", { replicas: 3, image: "mk/web:v1" });
  c.feed({ kind: "Deployment", type: "put", rv: 55, obj: dep(3, 3, 2) });
  assert.equal(c.violations.length, 0, "an unanswered write may have landed");
  c.feed({ kind: "Deployment", type: "put", rv: 60, obj: dep(1, 4, 2) });
  assert.equal(c.violations.length, 1);
  c.feed({ kind: "Deployment", type: "delete", rv: 61, obj: dep(1, 4, 2) });
  assert.equal(c.violations.length, 2);
  c.checkNow(new Map([["a", dep(2, 4, 4, "mk/web:v2")]]));
  assert.equal(c.violations.length, 3);
  assert.match(c.violations[2]?.detail ?? "", /has 2 × mk\/web:v2, last written 2 × mk\/web:v1/);
  c.checkNow(new Map([["a", undefined]]));
  assert.match(c.violations[3]?.detail ?? "", /is gone/);
});

function settled(): Snapshot {
  const d = dep(1, 2, 2);
  if (d.status) Object.assign(d.status, { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
  const app = ev("start", "c1", "p1", "n1").labels;
  return {
    deployments: [d],
    pods: [pod("p1", "r1")],
    nodes: ["n1"],
    containers: [{ id: "c1", labels: app, running: true }],
    volumes: [],
    networks: [],
  };
}

test("final: a settled cluster passes; each kind of leftover is reported", () => {
  assert.deepEqual(finalProblems(settled()), []);
  const orphan = settled();
  orphan.containers = [...orphan.containers, { id: "c9", labels: ev("start", "c9", "gone", "n1").labels, running: false }];
  orphan.volumes = [{ id: "v1", labels: { "io.mk.pod.uid": "gone" } }];
  orphan.networks = [{ id: "net1", labels: { "io.mk.node.name": "n7" } }];
  const problems = finalProblems(orphan);
  assert.equal(problems.length, 3, problems.join("\n"));
  assert.match(problems.join("\n"), /orphan container c9 of pod gone \(exited\)/);
  assert.match(problems.join("\n"), /orphan volume v1/);
  assert.match(problems.join("\n"), /orphan network net1 of node n7/);
  const lostNode = settled();
  lostNode.nodes = [];
  assert.match(finalProblems(lostNode).join("\n"), /bound to node n1, which does not exist/);
  const twoApps = settled();
  twoApps.containers = [...twoApps.containers, { id: "c2", labels: ev("start", "c2", "p1", "n1").labels, running: true }];
  assert.deepEqual(finalProblems(twoApps), ["pod p-p1: 2 running app containers"]);
  const unfinished = settled();
  unfinished.deployments = [dep(2, 3, 2)];
  assert.match(finalProblems(unfinished).join("\n"), /generation 3 observed 2/);
});

test("prng: a seed replays the same choices", () => {
  const a = rng(42);
  const b = rng(42);
  const xs = Array.from({ length: 5 }, () => a.int(1, 100));
  assert.deepEqual(Array.from({ length: 5 }, () => b.int(1, 100)), xs);
  const c = rng(43);
  assert.notDeepEqual(Array.from({ length: 5 }, () => c.int(1, 100)), xs);
});

test("faults: every member of the single and the HA topology has its role; the HA balancer and the registry are no target", () => {
  const nodes = ["chaos1-1", "chaos1-2"];
  const names = ["etcd", "etcd-1", "etcd-3", "apiserver", "apiserver-1", "apiserver-2", "scheduler-2", "controller-manager", "controller-manager-1", "chaos1-2"];
  assert.deepEqual(
    names.map((n) => roleOf(n, nodes)),
    ["etcd", "etcd", "etcd", "apiserver", "apiserver", "apiserver", "scheduler", "controller-manager", "controller-manager", "kubelet"],
  );
  assert.deepEqual(["apiserver-lb", "registry", "dockerd"].map((n) => roleOf(n, nodes)), [undefined, undefined, undefined]);
});
