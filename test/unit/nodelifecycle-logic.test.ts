// The node lifecycle controller's decision logic, on a ManualClock: health by this controller's own
// observations, tolerations (with the DefaultTolerationSeconds defaults), when pods fall due, taint
// reconciliation, disruption modes and the eviction rate.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { NodeCondition, Pod, Toleration } from "@mk/proto";
import { emptyMeta } from "@mk/proto";
import { ManualClock } from "@mk/proto/informer";
import { disruptionMode, evictionRate, NodeEvictionLimiter } from "@mk/controller/nodelifecycle/disruption.js";
import { planEvictions, TaintClock } from "@mk/controller/nodelifecycle/eviction.js";
import { NodeHealth, readyStatus, unknownConditions } from "@mk/controller/nodelifecycle/health.js";
import { effectiveTolerations, reconcileLifecycleTaints, toleratedSeconds, tolerates } from "@mk/controller/nodelifecycle/taints.js";

const UNREACHABLE = { key: "node.kubernetes.io/unreachable", value: "", effect: "NoExecute", timeAdded: "" };
const NOT_READY = { key: "node.kubernetes.io/not-ready", value: "", effect: "NoExecute", timeAdded: "" };
const DEFAULTS = { notReadySeconds: 300, unreachableSeconds: 10 };

function tol(key: string, o: Partial<Toleration> = {}): Toleration {
  return { key, operator: "Exists", value: "", effect: "NoExecute", tolerationSeconds: undefined, ...o };
}

function pod(name: string, tolerations: Toleration[] = [], deleting = false): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: emptyMeta({ name, namespace: "default", deletionTimestamp: deleting ? "2026-01-01T00:00:00Z" : "" }),
    spec: { nodeName: "n1", tolerations } as never,
    status: undefined,
  };
}

test("health: counted from this controller's observations, never from the kubelet's timestamps", () => {
  const clock = new ManualClock(1_000);
  const h = new NodeHealth(clock, 10_000);
  h.observeNode("n1");
  clock.advance(10_000);
  assert.equal(h.isStale("n1"), false, "silent exactly 10 s: not more than the grace period");
  clock.advance(1);
  assert.equal(h.isStale("n1"), true, "never seen renewing: counts from first sight");

  // A renewTime from the year 2000 that keeps changing is a live kubelet with a wrong clock.
  assert.equal(h.observeLease("n2", "2000-01-01T00:00:00.000000Z"), true);
  for (let i = 1; i <= 10; i++) {
    clock.advance(2_000);
    assert.equal(h.observeLease("n2", `2000-01-01T00:00:0${i % 10}.000000Z`), true);
  }
  assert.equal(h.isStale("n2"), false);
  // A renewTime far in the future that never changes is a dead kubelet.
  h.observeLease("n3", "2099-01-01T00:00:00.000000Z");
  clock.advance(6_000);
  assert.equal(h.observeLease("n3", "2099-01-01T00:00:00.000000Z"), false, "same renewTime: no heartbeat");
  assert.equal(Math.round(h.msUntilStale("n3")), 4_000);
  clock.advance(4_001);
  assert.equal(h.isStale("n3"), true);
  // The Ready judgement: previous value returned, for the True → not True transition.
  assert.equal(h.recordReady("n3", "True"), undefined);
  assert.equal(h.recordReady("n3", "Unknown"), "True");
});

test("a stale node's conditions all become Unknown, missing standard ones added; already Unknown: no write", () => {
  const c = (type: string, status: string): NodeCondition => ({ type, status, lastHeartbeatTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z", reason: "KubeletReady", message: "m" });
  const out = unknownConditions([c("Ready", "True"), c("MemoryPressure", "False")], "2026-01-01T00:01:00Z");
  assert.ok(out);
  const ready = out.find((x) => x.type === "Ready");
  assert.deepEqual(ready, {
    type: "Ready",
    status: "Unknown",
    reason: "NodeStatusUnknown",
    message: "Kubelet stopped posting node status.",
    lastHeartbeatTime: "2026-01-01T00:00:00Z",
    lastTransitionTime: "2026-01-01T00:01:00Z",
  });
  assert.deepEqual(out.map((x) => `${x.type}=${x.status}`), ["Ready=Unknown", "MemoryPressure=Unknown", "DiskPressure=Unknown", "PIDPressure=Unknown"]);
  assert.equal(out.find((x) => x.type === "DiskPressure")?.reason, "NodeStatusNeverUpdated");
  assert.equal(unknownConditions(out, "2026-01-01T00:02:00Z"), undefined);
  assert.equal(readyStatus(out), "Unknown");
  assert.equal(readyStatus([]), "");
});

test("tolerations: Kubernetes' matching, and the DefaultTolerationSeconds defaults computed, not stored", () => {
  assert.ok(tolerates(tol("node.kubernetes.io/unreachable"), UNREACHABLE));
  assert.ok(tolerates({ key: "", operator: "Exists", value: "", effect: "", tolerationSeconds: undefined }, UNREACHABLE), "empty key + Exists: everything");
  assert.ok(!tolerates(tol("node.kubernetes.io/unreachable", { effect: "NoSchedule" }), UNREACHABLE));
  assert.ok(!tolerates(tol("dedicated", { operator: "Equal", value: "a" }), { key: "dedicated", value: "b", effect: "NoExecute", timeAdded: "" }));

  // No toleration of its own: both defaults.
  const none = effectiveTolerations([], DEFAULTS);
  assert.equal(toleratedSeconds(none, UNREACHABLE), 10);
  assert.equal(toleratedSeconds(none, NOT_READY), 300);
  // Its own unreachable toleration wins (no default added for that key); not-ready still defaulted.
  const own = effectiveTolerations([tol("node.kubernetes.io/unreachable", { tolerationSeconds: 30 })], DEFAULTS);
  assert.equal(toleratedSeconds(own, UNREACHABLE), 30);
  assert.equal(toleratedSeconds(own, NOT_READY), 300);
  // Without tolerationSeconds: forever.
  assert.equal(toleratedSeconds(effectiveTolerations([tol("node.kubernetes.io/unreachable")], DEFAULTS), UNREACHABLE), Number.POSITIVE_INFINITY);
  // An untolerated NoExecute taint: at once; a negative tolerationSeconds counts as 0.
  assert.equal(toleratedSeconds(none, { key: "dedicated", value: "", effect: "NoExecute", timeAdded: "" }), 0);
  assert.equal(toleratedSeconds([tol("node.kubernetes.io/unreachable", { tolerationSeconds: -5 })], UNREACHABLE), 0);
});

test("evictions fall due from when the taint was seen: default, own seconds, forever, untolerated", () => {
  const clock = new ManualClock(0);
  const tc = new TaintClock(clock);
  clock.advance(9_050);
  const seen = tc.observe("n1", [UNREACHABLE], Number.NEGATIVE_INFINITY);
  const pods = [
    pod("default"),
    pod("thirty", [tol("node.kubernetes.io/unreachable", { tolerationSeconds: 30 })]),
    pod("forever", [tol("node.kubernetes.io/unreachable")]),
    pod("terminating", [], true),
  ];
  // Seen at 9.05 s: "default" is due at 9.05 + 10 = 19.05 s, "thirty" at 39.05 s, "forever" never.
  let plan = planEvictions(pods, seen, DEFAULTS, clock.now());
  assert.deepEqual(plan.due, []);
  assert.equal(plan.nextAt, 19_050);
  clock.advance(10_000);
  // Still the same taint: its time is kept.
  plan = planEvictions(pods, tc.observe("n1", [UNREACHABLE], Number.NEGATIVE_INFINITY), DEFAULTS, clock.now());
  assert.deepEqual(plan.due.map((p) => p.metadata?.name), ["default"]);
  assert.equal(plan.nextAt, 39_050);
  // A user NoExecute taint beside it, tolerated by none of them: all three go now.
  const user = { key: "dedicated", value: "", effect: "NoExecute", timeAdded: "" };
  plan = planEvictions(pods, tc.observe("n1", [UNREACHABLE, user], Number.NEGATIVE_INFINITY), DEFAULTS, clock.now());
  assert.deepEqual(plan.due.map((p) => p.metadata?.name), ["default", "thirty", "forever"]);
  // After a full disruption ended at 25 s, the countdown starts there: "default" due at 35 s.
  tc.forget("n1");
  plan = planEvictions(pods, tc.observe("n1", [UNREACHABLE], 25_000), DEFAULTS, clock.now());
  assert.deepEqual(plan.due, []);
  assert.equal(plan.nextAt, 35_000);
});

test("lifecycle taints: added with timeAdded, swapped, removed; other taints kept; no change is undefined", () => {
  const user = { key: "dedicated", value: "db", effect: "NoSchedule", timeAdded: "" };
  const added = reconcileLifecycleTaints([user], "node.kubernetes.io/unreachable", "2026-01-01T00:00:10Z");
  assert.deepEqual(added, [user, { ...UNREACHABLE, timeAdded: "2026-01-01T00:00:10Z" }]);
  assert.equal(reconcileLifecycleTaints(added ?? [], "node.kubernetes.io/unreachable", "2026-01-01T00:00:20Z"), undefined, "already there: keeps its timeAdded");
  assert.deepEqual(reconcileLifecycleTaints(added ?? [], "node.kubernetes.io/not-ready", "2026-01-01T00:00:30Z"), [user, { ...NOT_READY, timeAdded: "2026-01-01T00:00:30Z" }]);
  assert.deepEqual(reconcileLifecycleTaints(added ?? [], undefined, ""), [user]);
  assert.equal(reconcileLifecycleTaints([user], undefined, ""), undefined);
});

test("disruption: full when no node is Ready, partial from 3 nodes and 55 %, rates by mode and size", () => {
  assert.equal(disruptionMode(2, 1), "Normal", "1 of 3 down");
  assert.equal(disruptionMode(0, 3), "FullDisruption");
  assert.equal(disruptionMode(0, 1), "FullDisruption", "a single-node cluster whose node is down");
  assert.equal(disruptionMode(1, 2), "Normal", "2 down is never partial");
  assert.equal(disruptionMode(4, 6), "PartialDisruption", "6/10 = 60 % ≥ 55 %");
  assert.equal(disruptionMode(5, 5), "Normal", "50 % < 55 %");
  assert.equal(evictionRate("Normal", 3), 0.1);
  assert.equal(evictionRate("FullDisruption", 3), 0);
  assert.equal(evictionRate("PartialDisruption", 10), 0, "small cluster: stop");
  assert.equal(evictionRate("PartialDisruption", 100), 0.01, "large cluster: secondary rate");
});

test("eviction limiter: one node at once, the next 10 s later at 0.1/s, none at rate 0", () => {
  const clock = new ManualClock(0);
  const l = new NodeEvictionLimiter(clock, 0.1);
  assert.equal(l.tryAdmit("n1"), true);
  assert.equal(l.tryAdmit("n1"), true, "admitted stays admitted");
  assert.equal(l.tryAdmit("n2"), false);
  assert.equal(l.retryAfterMs(), 10_000);
  clock.advance(9_999);
  assert.equal(l.tryAdmit("n2"), false);
  clock.advance(1);
  assert.equal(l.tryAdmit("n2"), true);
  l.setRate(0);
  clock.advance(60_000);
  assert.equal(l.tryAdmit("n3"), false);
  assert.equal(l.retryAfterMs(), Number.POSITIVE_INFINITY);
  l.release("n1");
  assert.equal(l.isAdmitted("n1"), false);
});
