// The ReplicaSet controller's pure parts: deletion order and status.
import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyMeta, type Pod } from "@mk/proto";
import { calculateStatus, deletionOrder, isActive, podsToDelete } from "@mk/controller/replicaset/pods.js";

function pod(name: string, o: { node?: string; phase?: string; readySince?: string; restarts?: number; created?: string; deleting?: boolean } = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: emptyMeta({ name, labels: { app: "web" }, creationTimestamp: o.created ?? "2026-01-01T00:00:00Z", deletionTimestamp: o.deleting ? "2026-01-01T00:09:00Z" : "" }),
    spec: { nodeName: o.node ?? "n1" } as never,
    status: {
      phase: o.phase ?? "Running",
      conditions: o.readySince ? [{ type: "Ready", status: "True", lastTransitionTime: o.readySince, lastProbeTime: "", reason: "", message: "" }] : [],
      containerStatuses: [{ name: "c", restartCount: o.restarts ?? 0 } as never],
    } as never,
  };
}

test("deletion order: unscheduled, Pending, not ready, ready for less time, more restarts, newest", () => {
  const pods = [
    pod("old-ready", { readySince: "2026-01-01T00:01:00Z", created: "2026-01-01T00:00:00Z" }),
    pod("newer-created", { readySince: "2026-01-01T00:01:00Z", created: "2026-01-01T00:00:30Z" }),
    pod("restarted", { readySince: "2026-01-01T00:01:00Z", restarts: 3 }),
    pod("recently-ready", { readySince: "2026-01-01T00:05:00Z" }),
    pod("not-ready", {}),
    pod("pending", { phase: "Pending" }),
    pod("unscheduled", { node: "", phase: "Pending" }),
  ];
  const order = [...pods].sort(deletionOrder).map((p) => p.metadata?.name);
  assert.deepEqual(order, ["unscheduled", "pending", "not-ready", "recently-ready", "restarted", "newer-created", "old-ready"]);
  assert.deepEqual(podsToDelete(pods, 2).map((p) => p.metadata?.name), ["unscheduled", "pending"]);
  // Equal pods: by name, so the order is deterministic.
  assert.deepEqual([pod("b"), pod("a")].sort(deletionOrder).map((p) => p.metadata?.name), ["a", "b"]);
});

test("terminating and finished pods are not active; status counts ready and available (minReadySeconds)", () => {
  assert.equal(isActive(pod("t", { deleting: true })), false);
  assert.equal(isActive(pod("f", { phase: "Failed" })), false);
  const rs = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: emptyMeta({ name: "web", generation: 4 }),
    spec: { replicas: 3, minReadySeconds: 10, template: { metadata: emptyMeta({ labels: { app: "web" } }) } },
    status: undefined,
  };
  const now = new Date("2026-01-01T00:00:20Z");
  const s = calculateStatus(rs, [pod("a", { readySince: "2026-01-01T00:00:05Z" }), pod("b", { readySince: "2026-01-01T00:00:15Z" }), pod("c")], 1, now);
  assert.equal(s.replicas, 3);
  assert.equal(s.readyReplicas, 2);
  assert.equal(s.availableReplicas, 1, "b has been ready 5 s < 10 s");
  assert.equal(s.observedGeneration, 4);
  assert.equal(s.terminatingReplicas, 1);
});
