// A rolling update must not count, as available, pods an old ReplicaSet is already deleting. Found
// end to end (test/e2e/rollout.test.ts): 10 replicas, maxUnavailable 2; the controller took the old
// set 3 → 2, and in the next sync, before the old set's status caught up (still 3 available), took it
// 2 → 0 with 7 new pods available: 7 served, below replicas - maxUnavailable = 8.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Deployment, emptyMeta, PodTemplateSpec, type ReplicaSet } from "@mk/proto";
import { reconcileOldReplicaSets } from "@mk/controller/deployment/rolling.js";

const template = (image: string) =>
  PodTemplateSpec.fromPartial({ metadata: emptyMeta({ labels: { app: "web" } }), spec: { containers: [{ name: "web", image }], restartPolicy: "Always" } });

const deployment: Deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: emptyMeta({ name: "web", namespace: "default", uid: "d-uid", generation: 2 }),
  spec: {
    replicas: 10,
    selector: { matchLabels: { app: "web" }, matchExpressions: [] },
    template: template("web:v2"),
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    minReadySeconds: 0,
    paused: false,
    progressDeadlineSeconds: 600,
  },
  status: undefined,
};

function rs(name: string, replicas: number, statusReplicas: number, available: number, created: string, image: string): ReplicaSet {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: emptyMeta({ name, namespace: "default", uid: `uid-${name}`, creationTimestamp: created }),
    spec: { replicas, minReadySeconds: 0, template: template(image) },
    status: { replicas: statusReplicas, fullyLabeledReplicas: statusReplicas, readyReplicas: available, availableReplicas: available, observedGeneration: 0, conditions: [], terminatingReplicas: 0 },
  };
}

test("an old set's stale status (pods being deleted) does not count as available", () => {
  // Old set just scaled 3 → 2, its status still says 3 available; new set 10 with 7 available.
  const oldRS = rs("old", 2, 3, 3, "2026-01-01T00:00:00Z", "web:v1");
  const newRS = rs("new", 10, 10, 7, "2026-01-01T00:01:00Z", "web:v2");
  const downs = reconcileOldReplicaSets(deployment, [oldRS, newRS], [oldRS], newRS);
  // Really available: 2 + 7 = 9, minAvailable 8: one old pod may go, not both.
  assert.deepEqual(downs.map((a) => a.to), [1]);
});

test("with the old set's status caught up the same step is taken", () => {
  const oldRS = rs("old", 2, 2, 2, "2026-01-01T00:00:00Z", "web:v1");
  const newRS = rs("new", 10, 10, 7, "2026-01-01T00:01:00Z", "web:v2");
  assert.deepEqual(reconcileOldReplicaSets(deployment, [oldRS, newRS], [oldRS], newRS).map((a) => a.to), [1]);
  // And with 8 new available both old pods go: 2 + 8 - 8 = 2.
  const ready8 = rs("new", 10, 10, 8, "2026-01-01T00:01:00Z", "web:v2");
  assert.deepEqual(reconcileOldReplicaSets(deployment, [oldRS, ready8], [oldRS], ready8).map((a) => a.to), [0]);
});
