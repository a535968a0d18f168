// mkctl's CronJob verbs against a real API server with the Job and CronJob controllers and the fake
// kubelet: create cronjob, get cronjobs|cj (kubectl's columns), describe cronjob, create job
// --from=cronjob/NAME (a manual run owned by the CronJob), and bad input refused naming the field
// with nothing written (a schedule `61 * * * *`, an unknown time zone, parallelism -1).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ControllerEnv, startEnv } from "./env.js";
import { runMkctl } from "../../harness/mkctl.js";
import { eventually } from "../../harness/wait.js";
import { tempDir, writeTemp } from "../kubectl/mkctl.js";

let env: ControllerEnv;
const dir = tempDir("mkctl-cronjob-");

before(async () => {
  // Pods named manual-* end with 0 in the fake kubelet.
  env = await startEnv({ controllers: ["job", "cronjob", "gc"], nodes: 1, runMs: 200, exitCodeFor: (p) => (p.metadata?.name.startsWith("manual-") ? 0 : undefined) });
});
after(async () => {
  await env?.stop();
});

const mkctl = (...args: string[]) => runMkctl(["--server", env.server.address, ...args], { env: { MK_CONFIG: "/nonexistent" } });

test("create cronjob, get cronjobs and cj, describe, create job --from=cronjob/NAME", async () => {
  // Once a year (1 January, 00:00): the controller starts nothing during the test.
  const created = await mkctl("create", "cronjob", "nightly", "--image", "mk/busybox:1", "--schedule", "0 0 1 1 *", "--", "sh", "-c", "date");
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, "cronjob.batch/nightly created\n");
  const cj = await env.client.resource("CronJob").get("nightly", "default");
  assert.equal(cj.spec?.schedule, "0 0 1 1 *");
  assert.equal(cj.spec?.concurrencyPolicy, "Allow");
  assert.equal(cj.spec?.successfulJobsHistoryLimit, 3);
  assert.equal(cj.spec?.failedJobsHistoryLimit, 1);
  const pod = cj.spec?.jobTemplate?.spec?.template?.spec;
  assert.deepEqual(pod?.containers[0]?.command, ["sh", "-c", "date"]);
  assert.equal(pod?.restartPolicy, "OnFailure");

  for (const what of ["cronjobs", "cj", "cronjob.batch"]) {
    const got = await mkctl("get", what);
    assert.equal(got.code, 0, got.stderr);
    const [header, row] = got.stdout.trim().split("\n");
    assert.match(header ?? "", /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/);
    assert.match(row ?? "", /^nightly\s+0 0 1 1 \*\s+<none>\s+False\s+0\s+<none>\s+\d+s$/);
  }

  const described = await mkctl("describe", "cronjob", "nightly");
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /Schedule:\s+0 0 1 1 \*/);
  assert.match(described.stdout, /Concurrency Policy:\s+Allow/);
  assert.match(described.stdout, /Successful Job History Limit:\s+3/);
  assert.match(described.stdout, /Last Schedule Time:\s+<unset>/);
  assert.match(described.stdout, /Active Jobs:\s+<none>/);

  const manual = await mkctl("create", "job", "manual-1", "--from=cronjob/nightly");
  assert.equal(manual.code, 0, manual.stderr);
  assert.equal(manual.stdout, "job.batch/manual-1 created\n");
  const job = await env.client.resource("Job").get("manual-1", "default");
  assert.equal(job.metadata?.annotations["cronjob.kubernetes.io/instantiate"], "manual");
  assert.deepEqual(
    job.metadata?.ownerReferences.map((r) => [r.kind, r.name, r.uid]),
    [["CronJob", "nightly", cj.metadata?.uid]],
  );
  assert.deepEqual(job.spec?.template?.spec?.containers[0]?.command, ["sh", "-c", "date"]);
  await eventually("the manual run completes", async () => ((await env.client.resource("Job").get("manual-1", "default")).status?.succeeded === 1 ? true : undefined), 30_000);

  const missing = await mkctl("create", "job", "manual-2", "--from=cronjob/nope");
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /cronjobs.batch "nope" not found/);

  // Deleting the CronJob deletes the Job it owns, the manual run too.
  assert.equal((await mkctl("delete", "cronjob", "nightly")).code, 0);
  await eventually("its Job deleted", async () => (await env.client.resource("Job").list({ namespace: "default" })).items.every((j) => j.metadata?.name !== "manual-1"), 30_000);
});

test("bad input is refused naming the field, and nothing is written", async () => {
  const bad = await mkctl("create", "cronjob", "bad", "--image", "mk/busybox:1", "--schedule", "61 * * * *");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /spec\.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\): 61/);
  const yaml = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: worse
spec:
  schedule: "@daily"
  timeZone: Mars/Olympus
  concurrencyPolicy: Sometimes
  jobTemplate:
    spec:
      parallelism: -1
      template:
        spec:
          restartPolicy: Always
          containers:
          - name: app
            image: mk/busybox:1
`;
  const applied = await mkctl("apply", "-f", writeTemp(dir, "worse.yaml", yaml));
  assert.equal(applied.code, 1);
  for (const f of [
    'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    'spec.concurrencyPolicy: Unsupported value: "Sometimes"',
    "spec.jobTemplate.spec.parallelism: Invalid value: -1",
    'spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always"',
  ]) {
    assert.ok(applied.stderr.includes(f), `names ${f}:\n${applied.stderr}`);
  }
  const left = (await env.client.resource("CronJob").list({ namespace: "default" })).items.map((c) => c.metadata?.name);
  assert.ok(!left.includes("bad") && !left.includes("worse"), "nothing written");
});
