// The Job controller against a real API server and etcd; the fake kubelet runs pods to completion with
// the exit code of their `exit` label.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { JOB_COMPLETION_INDEX, type Pod } from "@mk/proto";
import { InvalidError, NotFoundError } from "@mk/proto/client";
import { type ControllerEnv, startEnv } from "./env.js";
import { eventually, sleep } from "../../harness/wait.js";
import { conditionOf, exitFromLabel, job } from "./jobs.js";

const BACKOFF_BASE_MS = 2_000;
// The back-off runs from the pod's finishedAt, an RFC 3339 time in whole seconds: up to 1 s early.
const CLOCK_RESOLUTION_MS = 1_000;

let env: ControllerEnv;
before(async () => {
  env = await startEnv({ controllers: ["job", "gc"], nodes: 3, exitCodeFor: exitFromLabel, runMs: 300, jobBackoff: { backoffBaseMs: BACKOFF_BASE_MS } });
});
after(async () => {
  await env?.stop();
});

const jobs = () => env.client.resource("Job");
const podsOf = async (name: string) => (await env.client.pods.list({ namespace: "default", labelSelector: `app=${name}` })).items;
const running = (p: Pod) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed" && !p.metadata?.deletionTimestamp;

test("completions 5, parallelism 2: five pods succeed, never more than two run at once, Complete; a deleted pod stays counted", async () => {
  const ac = new AbortController();
  const live = new Map<string, Pod>();
  let maxRunning = 0;
  const watching = (async () => {
    for await (const ev of env.client.pods.watch({ namespace: "default", labelSelector: "app=five", signal: ac.signal })) {
      if (ev.type === "BOOKMARK") continue;
      const key = ev.object.metadata?.name ?? "";
      if (ev.type === "DELETED") live.delete(key);
      else live.set(key, ev.object);
      maxRunning = Math.max(maxRunning, [...live.values()].filter(running).length);
    }
  })().catch(() => {});
  await jobs().create(job("five", { completions: 5, parallelism: 2 }));
  const done = await eventually(
    "Complete",
    async () => {
      const j = await jobs().get("five", "default");
      return conditionOf(j, "Complete") ? j : undefined;
    },
    60_000,
  );
  ac.abort();
  await watching;
  assert.equal(done.status?.succeeded, 5);
  assert.equal(done.status?.failed, 0);
  assert.ok(done.status?.completionTime, "completionTime set");
  assert.ok(maxRunning <= 2, `at most 2 running at once, saw ${maxRunning}`);
  assert.equal(maxRunning, 2, "parallelism 2 was used");
  const pods = await podsOf("five");
  assert.equal(pods.filter((p) => p.status?.phase === "Succeeded").length, 5);
  // Counted pods lose the tracking finalizer: they can be deleted, and the count stays.
  await eventually("finalizers removed", async () => (await podsOf("five")).every((p) => p.metadata?.finalizers.length === 0));
  const victim = pods[0]?.metadata?.name ?? "";
  await env.client.pods.delete(victim, "default", { gracePeriodSeconds: 0 });
  await eventually("pod gone", async () => !(await podsOf("five")).some((p) => p.metadata?.name === victim));
  await sleep(1_000);
  const after = await jobs().get("five", "default");
  assert.equal(after.status?.succeeded, 5);
  assert.equal((await podsOf("five")).length, 4, "no replacement for a pod of a complete Job");
});

test("pods exiting 1 stop at backoffLimit 2: Failed/BackoffLimitExceeded, 3 failed pods, growing gaps", async () => {
  const ac = new AbortController();
  const created: number[] = [];
  const watching = (async () => {
    for await (const ev of env.client.pods.watch({ namespace: "default", labelSelector: "app=flaky", signal: ac.signal })) {
      if (ev.type === "ADDED") created.push(Date.now());
    }
  })().catch(() => {});
  await jobs().create(job("flaky", { backoffLimit: 2 }, 1));
  const failed = await eventually(
    "Failed",
    async () => {
      const j = await jobs().get("flaky", "default");
      return conditionOf(j, "Failed") ? j : undefined;
    },
    60_000,
  );
  await sleep(BACKOFF_BASE_MS * 2);
  ac.abort();
  await watching;
  assert.equal(conditionOf(failed, "Failed")?.reason, "BackoffLimitExceeded");
  assert.equal(failed.status?.failed, 3);
  const pods = await podsOf("flaky");
  assert.equal(pods.length, 3, "no fourth pod after the limit");
  assert.ok(pods.every((p) => p.status?.phase === "Failed"));
  assert.equal(created.length, 3);
  const [a = 0, b = 0, c = 0] = created;
  assert.ok(b - a >= BACKOFF_BASE_MS - CLOCK_RESOLUTION_MS, `first gap ${b - a} ms ≥ the base back-off`);
  assert.ok(c - b > b - a, `gaps grow: ${b - a} ms then ${c - b} ms`);
  assert.ok(c - b >= 2 * BACKOFF_BASE_MS - CLOCK_RESOLUTION_MS, `second gap ${c - b} ms ≥ twice the base`);
});

test("Indexed: 3 pods get indexes 0, 1, 2 in annotation, label, env and hostname; completedIndexes 0-2", async () => {
  await jobs().create(job("idx", { completions: 3, parallelism: 3, completionMode: "Indexed" }));
  const done = await eventually(
    "Complete",
    async () => {
      const j = await jobs().get("idx", "default");
      return conditionOf(j, "Complete") ? j : undefined;
    },
    60_000,
  );
  assert.equal(done.status?.completedIndexes, "0-2");
  assert.equal(done.status?.succeeded, 3);
  const pods = await podsOf("idx");
  const indexes = pods.map((p) => p.metadata?.annotations[JOB_COMPLETION_INDEX]).sort();
  assert.deepEqual(indexes, ["0", "1", "2"]);
  for (const p of pods) {
    const i = p.metadata?.annotations[JOB_COMPLETION_INDEX];
    assert.equal(p.metadata?.labels[JOB_COMPLETION_INDEX], i);
    assert.deepEqual(
      p.spec?.containers[0]?.env.filter((e) => e.name === "JOB_COMPLETION_INDEX").map((e) => e.value),
      [i],
    );
    assert.equal(p.spec?.hostname, `idx-${i}`);
    assert.match(p.metadata?.name ?? "", new RegExp(`^idx-${i}-[a-z0-9]{5}$`));
  }
});

test("bad input is refused naming the field, and nothing is written", async () => {
  const cases: Array<[string, ReturnType<typeof job>, string]> = [
    ["neg", job("neg", { parallelism: -1 }), "spec.parallelism"],
    ["always", job("always", {}, 0, "Always"), "spec.template.spec.restartPolicy"],
  ];
  for (const [name, obj, field] of cases) {
    const err = await jobs().create(obj).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof InvalidError, `${name}: ${String(err)}`);
    assert.ok(
      err.fields.some((f) => f.field === field),
      `${name}: ${err.fields.map((f) => f.field).join()}`,
    );
    await assert.rejects(jobs().get(name, "default"), NotFoundError);
  }
});

test("podFailurePolicy FailJob on exit code 42 fails the Job at the first failure", async () => {
  const j = job("fatal", { backoffLimit: 6 }, 42);
  (j.spec as NonNullable<typeof j.spec>).podFailurePolicy = { rules: [{ action: "FailJob", onExitCodes: { containerName: "", operator: "In", values: [42] }, onPodConditions: [] }] };
  await jobs().create(j);
  const failed = await eventually(
    "Failed",
    async () => {
      const cur = await jobs().get("fatal", "default");
      return conditionOf(cur, "Failed") ? cur : undefined;
    },
    60_000,
  );
  assert.equal(conditionOf(failed, "Failed")?.reason, "PodFailurePolicy");
  assert.equal((await podsOf("fatal")).length, 1);
});

test("activeDeadlineSeconds: running pods are deleted and the Job fails with DeadlineExceeded", async () => {
  // No exit label value: the pods run until deleted.
  const j = job("slow", { parallelism: 2, completions: 2, activeDeadlineSeconds: 2 });
  delete j.spec?.template?.metadata?.labels.exit;
  await jobs().create(j);
  await eventually("2 running", async () => (await podsOf("slow")).filter((p) => p.status?.phase === "Running").length === 2, 30_000);
  const failed = await eventually(
    "Failed",
    async () => {
      const cur = await jobs().get("slow", "default");
      return conditionOf(cur, "Failed") ? cur : undefined;
    },
    30_000,
  );
  assert.equal(conditionOf(failed, "Failed")?.reason, "DeadlineExceeded");
  await eventually("its pods gone", async () => (await podsOf("slow")).length === 0, 30_000);
});

test("suspend: no pods while suspended; resumed, it runs to Complete", async () => {
  await jobs().create(job("later", { suspend: true }));
  await eventually("Suspended condition", async () => conditionOf(await jobs().get("later", "default"), "Suspended") !== undefined);
  assert.equal((await podsOf("later")).length, 0);
  const cur = await jobs().get("later", "default");
  (cur.spec as NonNullable<typeof cur.spec>).suspend = false;
  await jobs().update(cur);
  await eventually("Complete", async () => conditionOf(await jobs().get("later", "default"), "Complete") !== undefined, 60_000);
});

test("deleting a Job deletes its pods (their tracking finalizers released)", async () => {
  const j = job("gone", { parallelism: 2, completions: 4 });
  delete j.spec?.template?.metadata?.labels.exit;
  await jobs().create(j);
  await eventually("2 pods", async () => (await podsOf("gone")).length === 2, 30_000);
  await jobs().delete("gone", "default");
  await eventually("pods gone", async () => (await podsOf("gone")).length === 0, 30_000);
});

test("ttlSecondsAfterFinished deletes the finished Job", async () => {
  await jobs().create(job("brief", { ttlSecondsAfterFinished: 1 }));
  await eventually(
    "job deleted",
    async () => {
      try {
        await jobs().get("brief", "default");
        return false;
      } catch (err) {
        if (err instanceof NotFoundError) return true;
        throw err;
      }
    },
    30_000,
  );
});
