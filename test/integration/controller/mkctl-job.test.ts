// mkctl's Job verbs against a real API server with the Job controller and the fake kubelet: create job,
// get jobs, describe job, wait --for=condition=complete (met, and kubectl's timeout message), delete job.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ControllerEnv, startEnv } from "./env.js";
import { runMkctl } from "../../harness/mkctl.js";
import { eventually } from "../../harness/wait.js";

let env: ControllerEnv;

before(async () => {
  // Pods of `mkctl create job` carry no exit label: the fake kubelet ends those named ok-* with 0, others never.
  env = await startEnv({ controllers: ["job", "gc"], nodes: 2, runMs: 300, exitCodeFor: (p) => (p.metadata?.name.startsWith("ok-") ? 0 : undefined) });
});
after(async () => {
  await env?.stop();
});

const mkctl = (...args: string[]) => runMkctl(["--server", env.server.address, ...args], { env: { MK_CONFIG: "/nonexistent" } });

test("create job, wait for complete, get jobs, describe job, delete job (its pods go)", async () => {
  const created = await mkctl("create", "job", "ok-1", "--image", "mk/busybox:1", "--", "sh", "-c", "echo hi");
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, "job.batch/ok-1 created\n");
  const job = await env.client.resource("Job").get("ok-1", "default");
  const c = job.spec?.template?.spec?.containers[0];
  assert.deepEqual(c?.command, ["sh", "-c", "echo hi"]);
  assert.equal(job.spec?.template?.spec?.restartPolicy, "Never");

  const waited = await mkctl("wait", "--for=condition=complete", "job/ok-1", "--timeout=60s");
  assert.equal(waited.code, 0, waited.stderr);
  assert.equal(waited.stdout, "job.batch/ok-1 condition met\n");

  const got = await mkctl("get", "jobs");
  assert.equal(got.code, 0, got.stderr);
  const [header, row] = got.stdout.trim().split("\n");
  assert.match(header ?? "", /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
  assert.match(row ?? "", /^ok-1\s+Complete\s+1\/1\s+\d+s\s+\d+s$/);

  const described = await mkctl("describe", "job", "ok-1");
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed/);
  assert.match(described.stdout, /Complete\s+True\s+CompletionsReached/);

  const deleted = await mkctl("delete", "job", "ok-1");
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, 'job.batch "ok-1" deleted\n');
  await eventually("its pods gone", async () => (await env.client.pods.list({ namespace: "default", labelSelector: "job-name=ok-1" })).items.length === 0, 30_000);
});

test("wait times out with kubectl's message on a job that never completes", async () => {
  assert.equal((await mkctl("create", "job", "forever", "--image", "mk/busybox:1", "--", "sleep", "3600")).code, 0);
  const started = Date.now();
  const waited = await mkctl("wait", "--for=condition=complete", "job/forever", "--timeout=2s");
  assert.notEqual(waited.code, 0);
  assert.equal(waited.stderr, "error: timed out waiting for the condition on jobs/forever\n");
  assert.ok(Date.now() - started >= 2_000, "waited the whole timeout");
});
