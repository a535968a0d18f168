// mkctl patch (strategic, merge, json) and mkctl apply's three-way strategic merge patch against a
// real API server: kubectl's lines (`patched`, `patched (no change)`, `configured`), one container
// of two changed, a field someone else set kept across a re-apply.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Clientset } from "@mk/proto/client";
import { type MkctlEnv, startMkctlEnv, tempDir, WEB_NO_REPLICAS, writeTemp } from "./mkctl.js";

let env: MkctlEnv;
let cs: Clientset;
let mkctl: MkctlEnv["mkctl"];
const dir = tempDir();

before(async () => {
  env = await startMkctlEnv();
  ({ cs, mkctl } = env);
});

after(() => env.stop());

const TWO = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: two
spec:
  replicas: 1
  selector:
    matchLabels: {app: two}
  template:
    metadata:
      labels: {app: two}
    spec:
      containers:
      - name: web
        image: mk/web:v1
        env:
        - {name: A, value: "1"}
      - name: side
        image: mk/busybox:1
        command: [sleep, "3600"]
`;

test("patch with each type prints kubectl's lines; a patch that changes nothing says (no change)", async () => {
  writeTemp(dir, "two.yaml", TWO);
  assert.equal((await mkctl(["apply", "-f", `${dir}/two.yaml`])).stdout, "deployment.apps/two created\n");
  const smp = await mkctl(["patch", "deployment/two", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"mk/busybox:2"}]}}}}']);
  assert.deepEqual(smp, { code: 0, stdout: "deployment.apps/two patched\n", stderr: "" });
  const d = await cs.deployments.get("two", "default");
  assert.deepEqual(
    d.spec?.template?.spec?.containers.map((c) => [c.name, c.image]),
    [
      ["web", "mk/web:v1"],
      ["side", "mk/busybox:2"],
    ],
  );
  const again = await mkctl(["patch", "deployment", "two", "-p", "spec: {template: {spec: {containers: [{name: side, image: mk/busybox:2}]}}}"]);
  assert.deepEqual(again, { code: 0, stdout: "deployment.apps/two patched (no change)\n", stderr: "" });
  const merge = await mkctl(["patch", "deploy/two", "--type", "merge", "-p", '{"metadata":{"labels":{"tier":"front"}}}']);
  assert.equal(merge.stdout, "deployment.apps/two patched\n", merge.stderr);
  const json = await mkctl(["patch", "deploy/two", "--type=json", "-p", '[{"op":"replace","path":"/spec/replicas","value":2}]']);
  assert.equal(json.stdout, "deployment.apps/two patched\n", json.stderr);
  assert.equal((await cs.deployments.get("two", "default")).spec?.replicas, 2);
  assert.equal((await cs.deployments.get("two", "default")).metadata?.labels.tier, "front");
});

test("patch errors: bad type, missing patch, a failed test, an unknown field, a missing object", async () => {
  assert.deepEqual(await mkctl(["patch", "deploy/two", "--type", "xml", "-p", "{}"]), { code: 1, stdout: "", stderr: 'error: --type must be one of [json merge strategic], not "xml"\n' });
  assert.equal((await mkctl(["patch", "deploy/two"])).stderr, "error: must specify --patch or --patch-file containing the contents of the patch\n");
  const failed = await mkctl(["patch", "deploy/two", "--type", "json", "-p", '[{"op":"test","path":"/spec/replicas","value":7}]']);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /test failed/);
  const unknown = await mkctl(["patch", "deploy/two", "--type", "merge", "-p", '{"spec":{"replica":3}}']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /spec\.replica/);
  assert.equal((await mkctl(["patch", "deploy/nope", "-p", "{}"])).stderr, 'Error from server (NotFound): deployments.apps "nope" not found\n');
});

test("apply sends a three-way patch: a changed file is configured, what others set is kept, a dropped env var goes", async () => {
  const file = writeTemp(dir, "web.yaml", WEB_NO_REPLICAS);
  assert.equal((await mkctl(["apply", "-f", file])).stdout, "deployment.apps/web created\n");
  // Someone else adds a label and scales: neither is in the manifest, both survive re-applies.
  await mkctl(["label", "deploy/web", "owner=ops"]);
  await mkctl(["scale", "deploy/web", "--replicas=4"]);
  assert.equal((await mkctl(["apply", "-f", file])).stdout, "deployment.apps/web unchanged\n");
  const changed = writeTemp(dir, "web2.yaml", WEB_NO_REPLICAS.replace("mk/web:v1", "mk/web:v2"));
  assert.deepEqual(await mkctl(["apply", "-f", changed]), { code: 0, stdout: "deployment.apps/web configured\n", stderr: "" });
  const d = await cs.deployments.get("web", "default");
  assert.equal(d.spec?.template?.spec?.containers[0]?.image, "mk/web:v2");
  assert.equal(d.spec?.replicas, 4);
  assert.equal(d.metadata?.labels.owner, "ops");
  assert.equal((await mkctl(["apply", "-f", changed])).stdout, "deployment.apps/web unchanged\n");

  // A container of two: applying a file that changes one env var of one container touches only that.
  const two = writeTemp(dir, "two.yaml", TWO.replace('{name: A, value: "1"}', '{name: B, value: "2"}'));
  assert.equal((await mkctl(["apply", "-f", two])).stdout, "deployment.apps/two configured\n");
  const t = await cs.deployments.get("two", "default");
  assert.deepEqual(
    t.spec?.template?.spec?.containers[0]?.env.map((e) => e.name),
    ["B"],
  );
  // The file sets the side container's image: the file wins over the earlier patch, as with kubectl.
  assert.equal(t.spec?.template?.spec?.containers[1]?.image, "mk/busybox:1");
});
