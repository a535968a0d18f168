// mkctl explain beside kubectl 1.32 (issue 15, criterion 4): kubectl reads the API server's
// /openapi/v3 over HTTP, mkctl renders the same document built from the descriptors it ships with;
// both print the same lines, for a kind, a field path, a list of containers, --recursive, and the
// errors.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type KubectlEnv, startKubectlEnv } from "./mkctl.js";

let env: KubectlEnv;

before(async () => {
  env = await startKubectlEnv();
});
after(async () => {
  await env?.stop();
});

const SAME = [
  ["explain", "deployment.spec.strategy"],
  ["explain", "deployments"],
  ["explain", "deploy.spec.template.spec.containers"],
  ["explain", "pods.spec.containers.resources"],
  ["explain", "deployment.spec", "--recursive"],
  ["explain", "svc.spec.ports.targetPort"],
  ["explain", "cronjob.spec.jobTemplate.spec", "--api-version=batch/v1"],
  ["explain", "configmap.data"],
  ["explain", "node.status.capacity"],
  ["explain", "ns"],
];

for (const args of SAME) {
  test(`${args.join(" ")}: the same lines as kubectl 1.32`, async () => {
    const [m, k] = [await env.mkctl(args), await env.kubectl(args)];
    assert.equal(k.code, 0, k.stderr);
    assert.equal(m.stderr, "");
    assert.equal(m.stdout, k.stdout);
    assert.equal(m.code, 0);
  });
}

test("deployment.spec.strategy: kubectl's layout, field by field", async () => {
  const m = await env.mkctl(["explain", "deployment.spec.strategy"]);
  assert.match(m.stdout, /^GROUP: {6}apps\nKIND: {7}Deployment\nVERSION: {4}v1\n\nFIELD: strategy <DeploymentStrategy>\n\n\nDESCRIPTION:\n/);
  assert.match(m.stdout, /\nFIELDS:\n {2}rollingUpdate\t<RollingUpdateDeployment>\n/);
  assert.match(m.stdout, /\n {2}type\t<string>\n {2}enum: Recreate, RollingUpdate\n/);
  const containers = await env.mkctl(["explain", "pod.spec"]);
  assert.match(containers.stdout, /\n {2}containers\t<\[\]Container>\n/);
});

test("errors: an unknown field, an unknown type, a version the type does not have", async () => {
  for (const args of [["explain", "deployment.spec.nope"], ["explain", "nope"], ["explain", "deployment", "--api-version=apps/v2"]]) {
    const [m, k] = [await env.mkctl(args), await env.kubectl(args)];
    assert.equal(m.code, 1, m.stderr);
    assert.equal(k.code, 1, k.stderr);
    assert.equal(m.stderr.replace(/mkctl/g, "kubectl"), k.stderr, args.join(" "));
  }
});

test("--help and completion (bash, fish) list edit, diff, explain and auth can-i", async () => {
  const help = await env.mkctl(["--help"]);
  for (const verb of ["edit", "diff", "explain", "auth"]) assert.match(help.stdout, new RegExp(`\\n  ${verb} `), verb);
  const bash = (await env.mkctl(["completion", "bash"])).stdout;
  assert.match(bash, /commands="[^"]* edit diff explain auth /);
  assert.match(bash, /can-i/);
  const fish = (await env.mkctl(["completion", "fish"])).stdout;
  for (const verb of ["edit", "diff", "explain", "auth"]) assert.match(fish, new RegExp(`-a ${verb} `), verb);
  assert.match((await env.mkctl(["auth", "--help"])).stdout, /\n {2}can-i \[options\] \[args\.\.\.\] /);
});
