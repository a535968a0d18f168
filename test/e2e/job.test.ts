// Jobs with real containers, end to end through the mkctl binary (issue 12, criterion 4): a Job whose
// pods exit 1 fails at backoffLimit 1 with BackoffLimitExceeded and 2 failed pods; an Indexed Job's
// 3 pods print their JOB_COMPLETION_INDEX (0, 1, 2), read back with mkctl logs; mkctl wait returns
// when it completes. A CronJob every minute, on the real clock, made with mkctl create cronjob beside
// those steps, has made two Jobs (which ran) within about 2.5 minutes.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { emptyMeta, Job, JOB_COMPLETION_INDEX } from "@mk/proto";
import { eventually, LocalCluster, steps } from "./cluster.js";

const STEP_MS = 480_000;
const WAIT_S = 300;

let cluster: LocalCluster;
const step = steps(STEP_MS);

before(async () => {
  cluster = await LocalCluster.create({ name: "job" });
});
after(async () => {
  await cluster?.stop();
});

const jobs = () => cluster.client().resource("Job");

step("cluster up", async () => {
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
});

let cronCreatedAt = 0;

step("a CronJob every minute (its Jobs are checked at the end)", async (signal) => {
  const out = await cluster.ok(["create", "cronjob", "tick", "--image", "mk/busybox:1", "--schedule", "*/1 * * * *", "--", "sh", "-c", "date"], { signal });
  assert.equal(out.trim(), "cronjob.batch/tick created");
  cronCreatedAt = Date.now();
});

step("pods exiting 1: Failed with BackoffLimitExceeded after backoffLimit + 1 failed pods", async (signal) => {
  assert.equal((await cluster.ok(["create", "job", "fails", "--image", "mk/busybox:1", "--", "sh", "-c", "exit 1"], { signal })).trim(), "job.batch/fails created");
  // kubectl create job has no --backoff-limit: lower it before the second pod starts (10 s back-off).
  const cur = await jobs().get("fails", "default");
  (cur.spec as NonNullable<Job["spec"]>).backoffLimit = 1;
  await jobs().update(cur);
  const waited = await cluster.mkctl(["wait", "--for=condition=failed", "job/fails", `--timeout=${WAIT_S}s`], { signal });
  assert.equal(waited.code, 0, waited.stderr);
  assert.equal(waited.stdout, "job.batch/fails condition met\n");
  const failed = await jobs().get("fails", "default");
  assert.equal(failed.status?.conditions.find((c) => c.type === "Failed")?.reason, "BackoffLimitExceeded");
  assert.equal(failed.status?.failed, 2);
  const pods = (await cluster.client().pods.list({ namespace: "default", labelSelector: "job-name=fails" })).items;
  assert.equal(pods.length, 2);
  for (const p of pods) assert.equal(p.status?.containerStatuses[0]?.state?.terminated?.exitCode, 1);
});

step("Indexed: 3 pods print their index 0, 1, 2", async (signal) => {
  await jobs().create(
    Job.fromPartial({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: emptyMeta({ name: "idx", namespace: "default" }),
      spec: {
        completions: 3,
        parallelism: 3,
        completionMode: "Indexed",
        template: { spec: { containers: [{ name: "echo", image: "mk/busybox:1", command: ["sh", "-c", "echo $JOB_COMPLETION_INDEX"] }], restartPolicy: "Never" } },
      },
    }),
  );
  const waited = await cluster.mkctl(["wait", "--for=condition=complete", "job/idx", `--timeout=${WAIT_S}s`], { signal });
  assert.equal(waited.code, 0, waited.stderr);
  const pods = (await cluster.client().pods.list({ namespace: "default", labelSelector: "job-name=idx" })).items;
  assert.equal(pods.length, 3);
  const printed: string[] = [];
  for (const p of pods) {
    const out = await eventually(`logs of ${p.metadata?.name}`, async () => (await cluster.ok(["logs", p.metadata?.name ?? ""], { signal })).trim() || undefined, 60_000);
    assert.equal(out, p.metadata?.annotations[JOB_COMPLETION_INDEX]);
    printed.push(out);
  }
  assert.deepEqual(printed.sort(), ["0", "1", "2"]);
  const got = await cluster.ok(["get", "jobs"], { signal });
  assert.match(got, /\nidx\s+Complete\s+3\/3\s/);
});

step("the CronJob made two Jobs within ~2.5 minutes of its creation, and they completed", async (signal) => {
  const left = Math.max(0, cronCreatedAt + 150_000 - Date.now());
  const ours = async () => (await jobs().list({ namespace: "default" })).items.filter((j) => j.metadata?.ownerReferences.some((r) => r.kind === "CronJob" && r.name === "tick"));
  const done = await eventually(
    "two completed Jobs of the CronJob",
    async () => {
      const js = (await ours()).filter((j) => j.status?.conditions.some((c) => c.type === "Complete" && c.status === "True"));
      return js.length >= 2 ? js : undefined;
    },
    left + 30_000,
  );
  const names = done.map((j) => j.metadata?.name ?? "").sort();
  // Named for their scheduled minutes, one minute apart.
  const minutes = names.map((n) => Number(n.slice("tick-".length)));
  assert.equal(minutes[1]! - minutes[0]!, 1, names.join(","));
  const got = await cluster.ok(["get", "cronjobs"], { signal });
  assert.match(got, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\ntick\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+\d\s+\d+s\s+\d+m?\d*s?\n/);
  process.stdout.write(`# cronjob every minute: two completed Jobs ${((Date.now() - cronCreatedAt) / 1000).toFixed(0)} s after its creation\n`);
});
