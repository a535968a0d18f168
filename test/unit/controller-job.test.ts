// The Job controller's arithmetic: the back-off between failed pods, completion index sets, and the
// podFailurePolicy's verdict on a failed pod.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIndexes, type Job, type Pod, PodStatus, parseIndexes } from "@mk/proto";
import { backoffDelayMs, remainingBackoffMs } from "@mk/controller/job/backoff.js";
import { matchPodFailurePolicy } from "@mk/controller/job/pods.js";

test("back-off: 10 s, 20 s, 40 s … capped at 6 minutes, as Kubernetes", () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelayMs(n) / 1000),
    [0, 10, 20, 40, 80, 160, 320, 360, 360],
  );
});

test("remaining back-off is measured from the last failure", () => {
  // Two failures, the last at t=100 s: the next pod may start 20 s later, at 120 s.
  const rec = { failures: 2, lastFailureMs: 100_000 };
  assert.equal(remainingBackoffMs(rec, 105_000), 15_000);
  assert.equal(remainingBackoffMs(rec, 120_000), 0);
  assert.equal(remainingBackoffMs(undefined, 0), 0);
});

test("completed indexes: runs collapse, parsing is the inverse", () => {
  assert.equal(formatIndexes([4, 0, 2, 1, 1]), "0-2,4");
  assert.equal(formatIndexes([]), "");
  assert.deepEqual(parseIndexes("0-2,4"), [0, 1, 2, 4]);
  assert.deepEqual(parseIndexes(""), []);
});

function failedPod(exitCode: number, conditions: Array<{ type: string; status: string }> = []): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: undefined,
    spec: undefined,
    status: PodStatus.fromPartial({
      phase: "Failed",
      conditions: conditions.map((c) => ({ ...c, lastProbeTime: "", lastTransitionTime: "", reason: "", message: "" })),
      containerStatuses: [{ name: "main", ready: false, restartCount: 0, image: "", imageId: "", containerId: "", started: false, state: { terminated: { exitCode, signal: 0, reason: "", message: "", startedAt: "", finishedAt: "", containerId: "" } } }],
    }),
  };
}

test("podFailurePolicy: the first matching rule decides; no match counts", () => {
  const job = {
    spec: {
      podFailurePolicy: {
        rules: [
          { action: "Ignore", onExitCodes: undefined, onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
          { action: "FailJob", onExitCodes: { containerName: "main", operator: "In", values: [42] }, onPodConditions: [] },
          { action: "Count", onExitCodes: { containerName: "", operator: "NotIn", values: [1, 2] }, onPodConditions: [] },
        ],
      },
    },
  } as unknown as Job;
  assert.deepEqual(matchPodFailurePolicy(job, failedPod(42)), { action: "FailJob", rule: 1 });
  assert.deepEqual(matchPodFailurePolicy(job, failedPod(42, [{ type: "DisruptionTarget", status: "True" }])), { action: "Ignore", rule: 0 });
  assert.deepEqual(matchPodFailurePolicy(job, failedPod(7)), { action: "Count", rule: 2 });
  assert.deepEqual(matchPodFailurePolicy(job, failedPod(1)), { action: "Count" });
});
