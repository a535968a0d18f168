// Table tests of the Deployment controller's arithmetic against Kubernetes' documented sequences.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type Deployment,
  DESIRED_REPLICAS_ANNOTATION,
  emptyMeta,
  equalIgnoreHash,
  fnv32a,
  MAX_REPLICAS_ANNOTATION,
  maxRevision,
  PodTemplateSpec,
  podTemplateHash,
  type ReplicaSet,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  safeEncodeString,
} from "@mk/proto";
import { scaledValue } from "@mk/controller/deployment/intstr.js";
import {
  AVAILABLE,
  calculateStatus,
  NEW_RS_AVAILABLE_REASON,
  PROGRESSING,
  RS_UPDATED_REASON,
  rolloutStatus,
  TIMED_OUT_REASON,
} from "@mk/controller/deployment/progress.js";
import { oldPodsRunning, scaleDownOldForRecreate } from "@mk/controller/deployment/recreate.js";
import { findNewReplicaSet, setNewReplicaSetAnnotations } from "@mk/controller/deployment/revision.js";
import { reconcileNewReplicaSet, reconcileOldReplicaSets } from "@mk/controller/deployment/rolling.js";
import { isScalingEvent, replicaSetsToCleanUp, scale } from "@mk/controller/deployment/sync.js";
import { maxSurge, maxUnavailable, resolveFenceposts } from "@mk/controller/deployment/util.js";

function template(image: string, extraLabels: Record<string, string> = {}): PodTemplateSpec {
  return PodTemplateSpec.fromPartial({
    metadata: emptyMeta({ labels: { app: "web", ...extraLabels } }),
    spec: { containers: [{ name: "web", image }], restartPolicy: "Always" },
  });
}

function deployment(replicas: number, surge: string, unavailable: string, image = "web:v2"): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: emptyMeta({ name: "web", namespace: "default", uid: "d-uid", generation: 1 }),
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" }, matchExpressions: [] },
      template: template(image),
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      minReadySeconds: 0,
      paused: false,
      progressDeadlineSeconds: 600,
    },
    status: undefined,
  };
}

let seq = 0;
function rs(name: string, replicas: number, available = replicas, extra: { image?: string; created?: string; annotations?: Record<string, string> } = {}): ReplicaSet {
  seq++;
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: emptyMeta({
      name,
      namespace: "default",
      uid: `uid-${name}`,
      creationTimestamp: extra.created ?? `2026-01-01T00:00:${String(seq % 60).padStart(2, "0")}Z`,
      annotations: extra.annotations ?? {},
    }),
    spec: { replicas, minReadySeconds: 0, template: template(extra.image ?? "web:v1") },
    status: { replicas, fullyLabeledReplicas: replicas, readyReplicas: available, availableReplicas: available, observedGeneration: 0, conditions: [], terminatingReplicas: 0 },
  };
}

test("int-or-percent: surge rounds up, unavailable rounds down, both 0 → unavailable 1", () => {
  assert.equal(scaledValue("25%", 10, true), 3);
  assert.equal(scaledValue("25%", 10, false), 2);
  assert.equal(scaledValue("3", 10, true), 3);
  assert.throws(() => scaledValue("x", 10, true), /invalid value/);
  assert.deepEqual(resolveFenceposts("25%", "25%", 3), { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveFenceposts("0", "0", 3), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts("0%", "25%", 3), { surge: 0, unavailable: 1 });
  assert.equal(maxUnavailable(deployment(2, "0", "5")), 2, "capped at replicas");
  assert.equal(maxSurge(deployment(10, "3", "2")), 3);
});

test("pod-template hash: deterministic, template-sensitive, collisionCount changes it, safe alphabet", () => {
  const a = podTemplateHash(template("web:v1"));
  assert.equal(a, podTemplateHash(template("web:v1")));
  assert.notEqual(a, podTemplateHash(template("web:v2")));
  assert.notEqual(a, podTemplateHash(template("web:v1"), 1));
  assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  // FNV-32a reference value: fnv32a("a") = 0xe40c292c.
  assert.equal(fnv32a(new TextEncoder().encode("a")), 0xe40c292c);
  // "0" is char 48, 48 % 27 = 21 → alphabet[21] "4"; "1" (49) → "5".
  assert.equal(safeEncodeString("01"), "45");
  // Label order does not matter.
  const t1 = template("web:v1", { x: "1", y: "2" });
  const t2 = template("web:v1", { y: "2", x: "1" });
  assert.equal(podTemplateHash(t1), podTemplateHash(t2));
  assert.ok(equalIgnoreHash(template("web:v1", { "pod-template-hash": "abc" }), template("web:v1")));
});

/** Runs the rolling update one decision at a time; after each, pods become available. */
function rollingSequence(d: Deployment, oldRS: ReplicaSet, newRS: ReplicaSet): string[] {
  const steps: string[] = [];
  for (let i = 0; i < 50; i++) {
    const all = [oldRS, newRS];
    const up = reconcileNewReplicaSet(d, all, newRS);
    if (up) {
      newRS = rs("new", up.to, up.to, { image: "web:v2", created: newRS.metadata!.creationTimestamp });
      steps.push(`new→${up.to}`);
      continue;
    }
    const downs = reconcileOldReplicaSets(d, all, (oldRS.spec?.replicas ?? 0) > 0 ? [oldRS] : [], newRS);
    if (downs.length === 0) break;
    for (const a of downs) {
      oldRS = rs("old", a.to, a.to, { created: oldRS.metadata!.creationTimestamp });
      steps.push(`old→${a.to}`);
    }
  }
  return steps;
}

test("RollingUpdate 3 replicas 25%/25%: new→1, old→2, new→2, old→1, new→3, old→0", () => {
  const d = deployment(3, "25%", "25%");
  const steps = rollingSequence(d, rs("old", 3, 3, { created: "2026-01-01T00:00:00Z" }), rs("new", 0, 0, { image: "web:v2", created: "2026-01-01T00:01:00Z" }));
  assert.deepEqual(steps, ["new→1", "old→2", "new→2", "old→1", "new→3", "old→0"]);
});

test("RollingUpdate 10 replicas surge 3 unavailable 2: new→3, old→5, new→8, old→0, new→10", () => {
  const d = deployment(10, "3", "2");
  const steps = rollingSequence(d, rs("old", 10, 10, { created: "2026-01-01T00:00:00Z" }), rs("new", 0, 0, { image: "web:v2", created: "2026-01-01T00:01:00Z" }));
  // Total ≤ 13 and available ≥ 8 at every step: surge 3 (13), drop 13 - 8 = 5 old, grow new by
  // min(13 - 8, 10 - 3) = 5, drop the last 5 old (13 available - 8), then new takes the last 2.
  assert.deepEqual(steps, ["new→3", "old→5", "new→8", "old→0", "new→10"]);
});

test("maxUnavailable: unavailable new pods hold back the old ones (maxScaledDown counts them)", () => {
  // 10 replicas, surge 3, unavailable 2: old 10 + new 3 (none available). 13 - 8 - 3 = 2 may go.
  const d = deployment(10, "3", "2");
  const oldRS = rs("old", 10, 10, { created: "2026-01-01T00:00:00Z" });
  const newRS = rs("new", 3, 0, { image: "web:v2", created: "2026-01-01T00:01:00Z" });
  const downs = reconcileOldReplicaSets(d, [oldRS, newRS], [oldRS], newRS);
  assert.deepEqual(downs.map((a) => a.to), [8]);
});

test("cleanup of unhealthy old replicas comes first and costs no availability", () => {
  // 4 replicas, surge 1, unavailable 0; an old set of 4 with only 2 available, new 1 available.
  const d = deployment(4, "1", "0");
  const oldRS = rs("old", 4, 2, { created: "2026-01-01T00:00:00Z" });
  const newRS = rs("new", 1, 1, { image: "web:v2", created: "2026-01-01T00:01:00Z" });
  // maxScaledDown = 5 - 4 - 0 = 1: one unhealthy pod goes; available 3 ≤ minAvailable 4: no more.
  const downs = reconcileOldReplicaSets(d, [oldRS, newRS], [oldRS], newRS);
  assert.deepEqual(downs.map((a) => [a.rs.metadata?.name, a.to]), [["old", 3]]);
});

test("proportional scaling: 10 replicas surge 3 unavailable 2, new=5 old=8, scale to 15 → old 11, new 7", () => {
  const ann = { [DESIRED_REPLICAS_ANNOTATION]: "10", [MAX_REPLICAS_ANNOTATION]: "13" };
  const oldRS = rs("old", 8, 8, { created: "2026-01-01T00:00:00Z", annotations: ann });
  const newRS = rs("new", 5, 2, { image: "web:v2", created: "2026-01-01T00:01:00Z", annotations: ann });
  const d = deployment(15, "3", "2");
  assert.equal(isScalingEvent(d, [oldRS, newRS]), true);
  const actions = scale(d, newRS, [oldRS]);
  const byName = Object.fromEntries(actions.map((a) => [a.rs.metadata?.name, a.to]));
  assert.deepEqual(byName, { old: 11, new: 7 });
  // And back down to 10: 18 → 13 allowed, 5 to remove, larger (old) first.
  const ann2 = { [DESIRED_REPLICAS_ANNOTATION]: "15", [MAX_REPLICAS_ANNOTATION]: "18" };
  const down = scale(deployment(10, "3", "2"), rs("new", 7, 7, { image: "web:v2", created: "2026-01-01T00:01:00Z", annotations: ann2 }), [
    rs("old", 11, 11, { created: "2026-01-01T00:00:00Z", annotations: ann2 }),
  ]);
  assert.deepEqual(Object.fromEntries(down.map((a) => [a.rs.metadata?.name, a.to])), { old: 8, new: 5 });
});

test("scale: a single active set takes the whole count; a saturated new set empties the old ones", () => {
  const d = deployment(9, "25%", "25%");
  const only = rs("only", 1, 1, { annotations: { [DESIRED_REPLICAS_ANNOTATION]: "1" } });
  assert.deepEqual(scale(d, only, [rs("empty", 0, 0)]).map((a) => a.to), [9]);
  const sat = rs("new", 9, 9, { image: "web:v2", annotations: { [DESIRED_REPLICAS_ANNOTATION]: "9" } });
  assert.deepEqual(scale(d, sat, [rs("old", 2, 2)]).map((a) => [a.rs.metadata?.name, a.to]), [["old", 0]]);
});

test("revisions: new RS found by template, re-used old RS gets the next revision and keeps history", () => {
  const d = deployment(3, "25%", "25%", "web:v1");
  d.metadata!.annotations = { "kubernetes.io/change-cause": "undo", [REVISION_ANNOTATION]: "2" };
  const v1 = rs("v1", 0, 0, { annotations: { [REVISION_ANNOTATION]: "1" } });
  const v2 = rs("v2", 3, 3, { image: "web:v2", annotations: { [REVISION_ANNOTATION]: "2" } });
  assert.equal(findNewReplicaSet(d, [v2, v1]), v1);
  const next = maxRevision([v2]) + 1;
  const c = structuredClone(v1);
  assert.equal(setNewReplicaSetAnnotations(d, c, next, true), true);
  assert.equal(c.metadata?.annotations[REVISION_ANNOTATION], "3");
  assert.equal(c.metadata?.annotations[REVISION_HISTORY_ANNOTATION], "1");
  assert.equal(c.metadata?.annotations["kubernetes.io/change-cause"], "undo");
  // A new RS (not existing yet) also gets the replicas annotations: 3 desired, 3 + 1 max.
  const fresh = rs("fresh", 0, 0);
  fresh.metadata!.annotations = {};
  setNewReplicaSetAnnotations(d, fresh, 1, false);
  assert.equal(fresh.metadata?.annotations[MAX_REPLICAS_ANNOTATION], "4");
});

test("revisionHistoryLimit: the lowest revisions that are empty and settled go", () => {
  const d = deployment(3, "25%", "25%");
  d.spec!.revisionHistoryLimit = 1;
  const olds = [1, 2, 3].map((r) => rs(`r${r}`, 0, 0, { annotations: { [REVISION_ANNOTATION]: String(r) } }));
  olds[1]!.status!.replicas = 1; // still has a pod: kept
  assert.deepEqual(replicaSetsToCleanUp(d, olds).map((r) => r.metadata?.name), ["r1"]);
});

test("Recreate: old sets to 0, then wait for their pods", () => {
  const old = rs("old", 3, 3);
  assert.deepEqual(scaleDownOldForRecreate([old]).map((a) => a.to), [0]);
  const gone = rs("old", 0, 0);
  const pod = { apiVersion: "v1", kind: "Pod", metadata: emptyMeta({ name: "p" }), spec: undefined, status: { phase: "Running" } as never };
  assert.equal(oldPodsRunning(undefined, [gone], new Map([["uid-old", [pod]]])), true);
  assert.equal(oldPodsRunning(undefined, [gone], new Map()), false);
});

test("status and conditions: Available by minimum availability, Progressing reasons and the deadline", () => {
  const d = deployment(3, "25%", "25%");
  const now = new Date("2026-01-01T00:10:00Z");
  const newRS = rs("new", 3, 3, { image: "web:v2" });
  const s = calculateStatus([newRS], newRS, d, now);
  assert.equal(s.conditions.find((c) => c.type === AVAILABLE)?.status, "True");
  const done = rolloutStatus([newRS], newRS, d, now);
  assert.equal(done.conditions.find((c) => c.type === PROGRESSING)?.reason, NEW_RS_AVAILABLE_REASON);
  // Progress: more updated replicas than the stored status → ReplicaSetUpdated.
  const partial = rs("new", 2, 1, { image: "web:v2" });
  const prog = rolloutStatus([rs("old", 2, 2), partial], partial, d, now);
  assert.equal(prog.conditions.find((c) => c.type === PROGRESSING)?.reason, RS_UPDATED_REASON);
  // No progress for longer than the deadline → ProgressDeadlineExceeded, status False.
  d.status = { ...prog, conditions: prog.conditions.map((c) => ({ ...c, lastUpdateTime: "2026-01-01T00:00:00Z" })) };
  const later = rolloutStatus([rs("old", 2, 2), partial], partial, d, new Date("2026-01-01T00:10:01Z"));
  const p = later.conditions.find((c) => c.type === PROGRESSING);
  assert.equal(p?.reason, TIMED_OUT_REASON);
  assert.equal(p?.status, "False");
});
