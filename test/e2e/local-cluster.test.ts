// The foundation's first acceptance line, end to end through the mkctl binary: start a local
// cluster, apply the example manifest, see the defaults, apply again (unchanged), restart the
// cluster and find the object still there.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { parse } from "yaml";
import { LocalCluster } from "./cluster.js";
import { mkctl, REPO } from "./mkctl.js";

let cluster: LocalCluster;
let env: NodeJS.ProcessEnv = {};

before(async () => {
  // Its own MK_HOME, ports and node names (e2e<pid>-1, -2: kubelets own containers by node name on
  // the shared Docker engine).
  cluster = await LocalCluster.create({ name: "e2e" });
  env = cluster.env;
});

after(async () => {
  await cluster.mkctl(["delete", "deploy", "web", "--timeout=30s"]);
  // cluster down, then this run's containers (kubelets leave them running when stopped).
  await cluster.stop();
});

test("cluster up, apply, defaults, unchanged, and the object survives a restart", async () => {
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /apiserver\s+ready/);
  assert.match(up.stderr, /cluster ready in/);

  const status = await mkctl(env, ["cluster", "status"]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^COMPONENT\s+PID\s+ADDRESS\s+HEALTH\s+RESTARTS\s+LOG/);
  assert.match(status.stdout, /apiserver\s+\d+\s+127\.0\.0\.1:\d+\s+healthy/);

  const created = await mkctl(env, ["apply", "-f", "deploy/examples/web.yaml"]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout.trim(), "deployment.apps/web created");

  const yaml = await mkctl(env, ["get", "deploy", "web", "-o", "yaml"]);
  assert.equal(yaml.code, 0, yaml.stderr);
  const d = parse(yaml.stdout) as {
    spec: {
      revisionHistoryLimit: number;
      progressDeadlineSeconds: number;
      strategy: { type: string; rollingUpdate: { maxSurge: string; maxUnavailable: string } };
      template: { spec: { restartPolicy: string; terminationGracePeriodSeconds: number; containers: { imagePullPolicy: string }[] } };
    };
    metadata: { uid: string; resourceVersion: string; creationTimestamp: string; generation: number };
  };
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
  assert.equal(d.spec.strategy.type, "RollingUpdate");
  assert.equal(d.spec.strategy.rollingUpdate.maxSurge, "25%");
  assert.equal(d.spec.strategy.rollingUpdate.maxUnavailable, "25%");
  assert.equal(d.spec.template.spec.restartPolicy, "Always");
  assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, 30);
  assert.equal(d.spec.template.spec.containers[0]?.imagePullPolicy, "IfNotPresent");
  assert.ok(d.metadata.uid && d.metadata.resourceVersion && d.metadata.creationTimestamp);
  assert.equal(d.metadata.generation, 1);

  const again = await mkctl(env, ["apply", "-f", "deploy/examples/web.yaml"]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), "deployment.apps/web unchanged");

  const down = await mkctl(env, ["cluster", "down"]);
  assert.equal(down.code, 0, down.stderr);
  const stopped = await mkctl(env, ["cluster", "status"]);
  assert.notEqual(stopped.code, 0);

  const up2 = await cluster.up();
  assert.equal(up2.code, 0, up2.stderr);
  const still = await mkctl(env, ["get", "deploy", "web", "-o", "yaml"]);
  assert.equal(still.code, 0, still.stderr);
  const d2 = parse(still.stdout) as { metadata: { uid: string } };
  assert.equal(d2.metadata.uid, d.metadata.uid, "the same object, not a new one");
});

test("`npx mkctl` finds the workspace's mkctl (deploy/setup.sh links the built commands)", async () => {
  // npm links a workspace's bin only if its file exists at install time; on a fresh clone the build
  // comes after `npm ci`, and npx would then look for a package named mkctl in the registry.
  for (const bin of ["mkctl", "mk-apiserver"]) {
    const { stdout } = await promisify(execFile)(join(REPO, "node_modules", ".bin", bin), ["--help"], { cwd: REPO, env: { ...process.env, ...env } });
    assert.match(stdout, /usage/i, bin);
  }
});
