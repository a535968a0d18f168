// Unit tests of the kubelet's pure parts: back-off arithmetic, phase and status computation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff } from "@mk/kubelet/sync/backoff.js";
import type { ObservedPod } from "@mk/kubelet/sync/observe.js";
import { computeStatus, podPhase } from "@mk/kubelet/sync/status.js";
import type { ContainerDetails } from "@mk/kubelet/runtime/runtime.js";
import { LABEL_ATTEMPT, LABEL_CONTAINER_NAME } from "@mk/kubelet/runtime/names.js";
import { emptyMeta, Pod } from "@mk/proto";

test("CrashLoopBackOff: immediate first restart, then 10 s doubling to 300 s, reset after a long run", () => {
  let now = 1_000_000;
  const b = new Backoff(undefined, () => now);
  const k = "uid/c";
  assert.equal(b.remaining(k, now), 0, "first restart at once");
  assert.equal(b.next(k), 10_000);
  // Died again right away: wait 10 s from its finish.
  assert.equal(b.remaining(k, now), 10_000);
  now += 10_000;
  assert.equal(b.remaining(k, now - 10_000), 0);
  const waits = [b.next(k), b.next(k), b.next(k), b.next(k), b.next(k), b.next(k)];
  assert.deepEqual(waits, [20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  b.resetIfRanLong(k, 9 * 60_000);
  assert.equal(b.current(k), 300_000, "9 minutes is not long enough");
  b.resetIfRanLong(k, 10 * 60_000);
  assert.equal(b.current(k), 0);
  assert.equal(b.next(k), 10_000);
});

function details(name: string, attempt: number, s: Partial<ContainerDetails>): ContainerDetails {
  return {
    id: `${name}${attempt}`.padEnd(64, "0"),
    name,
    image: "mk/busybox:1",
    imageId: "sha256:x",
    labels: { [LABEL_CONTAINER_NAME]: name, [LABEL_ATTEMPT]: String(attempt) },
    state: "running",
    running: true,
    exitCode: 0,
    oomKilled: false,
    error: "",
    createdAt: "2026-01-01T00:00:00Z",
    startedAt: "2026-01-01T00:00:01Z",
    finishedAt: "",
    ipAddress: "",
    pid: 1,
    ...s,
  };
}

function pod(restartPolicy: string, names: string[]): Pod {
  return Pod.fromPartial({
    metadata: emptyMeta({ name: "p", namespace: "default", uid: "u" }),
    spec: { restartPolicy, containers: names.map((n) => ({ name: n, image: "mk/busybox:1" })) },
  });
}

const probes = { ready: () => true, started: () => true };

test("status: running, CrashLoopBackOff with lastState, conditions and phase", () => {
  const p = pod("Always", ["a", "b"]);
  const observed: ObservedPod = {
    sandboxes: [details("POD", 0, { ipAddress: "172.17.0.9" })],
    containers: new Map([
      ["a", [details("a", 0, {})]],
      ["b", [details("b", 2, { running: false, state: "exited", exitCode: 1, finishedAt: "2026-01-01T00:00:02Z" })]],
    ]),
  };
  const s = computeStatus({
    pod: p,
    observed,
    waiting: new Map([["b", { reason: "CrashLoopBackOff", message: "back-off 20s" }]]),
    probes,
    nodeIp: "10.0.0.1",
    now: new Date("2026-01-01T00:00:05Z"),
  });
  assert.equal(s.phase, "Running");
  assert.equal(s.podIp, "172.17.0.9");
  assert.equal(s.hostIp, "10.0.0.1");
  const [a, b] = s.containerStatuses;
  assert.ok(a?.state?.running);
  assert.equal(a?.ready, true);
  assert.equal(b?.state?.waiting?.reason, "CrashLoopBackOff");
  assert.equal(b?.lastState?.terminated?.exitCode, 1);
  assert.equal(b?.lastState?.terminated?.reason, "Error");
  assert.equal(b?.restartCount, 2);
  const ready = s.conditions.find((c) => c.type === "Ready");
  assert.equal(ready?.status, "False");
  assert.equal(ready?.message, "containers with unready status: [b]");
  // Recomputed later with nothing changed: the same status, so nothing is posted.
  const p2 = Pod.fromPartial({ ...p, status: s });
  const s2 = computeStatus({ pod: p2, observed, waiting: new Map([["b", { reason: "CrashLoopBackOff", message: "back-off 20s" }]]), probes, nodeIp: "10.0.0.1", now: new Date("2026-01-01T00:09:00Z") });
  assert.deepEqual(s2, s);
});

test("phase: Pending, Succeeded, Failed, OnFailure", () => {
  const st = (state: object, last?: object) => ({ name: "c", state, lastState: last, ready: false, restartCount: 0, image: "", imageId: "", containerId: "" }) as never;
  const done0 = { terminated: { exitCode: 0 } };
  const done1 = { terminated: { exitCode: 1 } };
  assert.equal(podPhase(pod("Always", ["c"]), [st({ waiting: { reason: "ContainerCreating" } })]), "Pending");
  assert.equal(podPhase(pod("Never", ["c"]), [st(done0)]), "Succeeded");
  assert.equal(podPhase(pod("Never", ["c"]), [st(done1)]), "Failed");
  assert.equal(podPhase(pod("OnFailure", ["c"]), [st(done1)]), "Running");
  assert.equal(podPhase(pod("Always", ["c"]), [st(done0)]), "Running");
  assert.equal(podPhase(pod("Always", ["c"]), [st({ waiting: { reason: "CrashLoopBackOff" } }, done1)]), "Running");
});
