// mkctl apply against a real API server (etcd included): create, unchanged, the combined
// validation message with nothing written, and scale surviving a re-apply.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Clientset, NotFoundError } from "@mk/proto/client";
import { type MkctlEnv, REPO, startMkctlEnv, tempDir, WEB_NO_REPLICAS, writeTemp } from "./mkctl.js";

let env: MkctlEnv;
let cs: Clientset;
let mkctl: MkctlEnv["mkctl"];
const dir = tempDir();

before(async () => {
  env = await startMkctlEnv();
  ({ cs, mkctl } = env);
});

after(() => env.stop());

const EXAMPLE = join(REPO, "deploy/examples/web.yaml");

test("apply creates, get -o yaml shows the defaults, a second apply is unchanged", async () => {
  const file = existsSync(EXAMPLE) ? EXAMPLE : writeTemp(dir, "web.yaml", WEB_NO_REPLICAS);
  const name = /name: (\S+)/.exec(readFileSync(file, "utf8"))?.[1] ?? "web";
  const first = await mkctl(["apply", "-f", file]);
  assert.deepEqual(first, { code: 0, stdout: `deployment.apps/${name} created\n`, stderr: "" });

  const yaml = await mkctl(["get", "deploy", name, "-o", "yaml"]);
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.match(yaml.stdout, /^apiVersion: apps\/v1\nkind: Deployment\nmetadata:\n/);
  for (const want of [
    /maxSurge: 25%/,
    /maxUnavailable: 25%/,
    /revisionHistoryLimit: 10/,
    /progressDeadlineSeconds: 600/,
    /imagePullPolicy: IfNotPresent/,
    /kubectl\.kubernetes\.io\/last-applied-configuration/,
    /creationTimestamp: "\d{4}-/,
  ]) {
    assert.match(yaml.stdout, want);
  }

  const second = await mkctl(["apply", "-f", file]);
  assert.deepEqual(second, { code: 0, stdout: `deployment.apps/${name} unchanged\n`, stderr: "" });
  const rv = (await cs.deployments.get(name, "default")).metadata?.resourceVersion;
  await mkctl(["apply", "-f", file]);
  assert.equal((await cs.deployments.get(name, "default")).metadata?.resourceVersion, rv, "unchanged writes nothing");
});

test("replicas -1, a bad name and an unknown field: one message naming all three, nothing written", async () => {
  const file = writeTemp(
    dir,
    "bad.yaml",
    WEB_NO_REPLICAS.replace("name: web\n", "name: Bad_Name\n").replace("spec:\n  selector", "spec:\n  replicas: -1\n  foo: bar\n  selector"),
  );
  const res = await mkctl(["apply", "-f", file]);
  assert.equal(res.code, 1);
  assert.equal(res.stdout, "");
  const lines = res.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, res.stderr);
  assert.match(lines[0]!, /^The Deployment "Bad_Name" is invalid: \[/);
  assert.match(lines[0]!, /metadata\.name: Invalid value: "Bad_Name"/);
  assert.match(lines[0]!, /spec\.replicas: Invalid value: -1/);
  assert.match(lines[0]!, /spec\.foo: unknown field/);
  await assert.rejects(cs.deployments.get("Bad_Name", "default"), NotFoundError);
  const get = await mkctl(["get", "deploy", "Bad_Name"]);
  assert.deepEqual(get, { code: 1, stdout: "", stderr: 'Error from server (NotFound): deployments.apps "Bad_Name" not found\n' });
});

test("a typo'd field alone is rejected by name with a suggestion", async () => {
  const file = writeTemp(dir, "typo.yaml", WEB_NO_REPLICAS.replace("name: web\n", "name: typo\n").replace("containerPort", "containerport"));
  const res = await mkctl(["apply", "-f", file]);
  assert.equal(res.code, 1);
  // The server, seeing no containerPort, names it too: the user learns both at once.
  assert.equal(
    res.stderr,
    'The Deployment "typo" is invalid: [spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive, ' +
      'spec.template.spec.containers[0].ports[0].containerport: unknown field: did you mean "containerPort"?]\n',
  );
  await assert.rejects(cs.deployments.get("typo", "default"), NotFoundError);
});

test("a manifest without replicas does not undo mkctl scale; changing the image does configure", async () => {
  const text = WEB_NO_REPLICAS.replace("name: web\n", "name: scaled\n");
  const file = writeTemp(dir, "scaled.yaml", text);
  assert.equal((await mkctl(["apply", "-f", file])).stdout, "deployment.apps/scaled created\n");
  await cs.updateScale("Deployment", "default", "scaled", 4);
  assert.equal((await mkctl(["apply", "-f", file])).stdout, "deployment.apps/scaled unchanged\n");
  assert.equal((await cs.deployments.get("scaled", "default")).spec?.replicas, 4);

  const v2 = writeTemp(dir, "scaled-v2.yaml", text.replace("mk/web:v1", "mk/web:v2"));
  assert.equal((await mkctl(["apply", "-f", v2])).stdout, "deployment.apps/scaled configured\n");
  const d = await cs.deployments.get("scaled", "default");
  assert.equal(d.spec?.replicas, 4);
  assert.equal(d.spec?.template?.spec?.containers[0]?.image, "mk/web:v2");

  // mkctl scale works the same way.
  assert.deepEqual(await mkctl(["scale", "deploy", "scaled", "--replicas=2"]), { code: 0, stdout: "deployment.apps/scaled scaled\n", stderr: "" });
  assert.equal((await mkctl(["apply", "-f", v2])).stdout, "deployment.apps/scaled unchanged\n");
  assert.equal((await cs.deployments.get("scaled", "default")).spec?.replicas, 2);
});

test("several documents per file, from stdin; int-or-string fields take numbers", async () => {
  const text = `apiVersion: v1
kind: Namespace
metadata:
  name: multi
---
${WEB_NO_REPLICAS.replace("name: web\n", "name: web\n  namespace: multi\n").replace(
  "  selector:",
  "  strategy:\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 0\n  selector:",
)}`;
  const res = await mkctl(["apply", "-f", "-"], text);
  assert.deepEqual(res, { code: 0, stdout: "namespace/multi created\ndeployment.apps/web created\n", stderr: "" });
  const d = await cs.deployments.get("web", "multi");
  assert.equal(d.spec?.strategy?.rollingUpdate?.maxSurge, "1");
  assert.equal((await mkctl(["apply", "-f", "-"], text)).stdout, "namespace/multi unchanged\ndeployment.apps/web unchanged\n");
  const dry = await mkctl(["apply", "--dry-run=server", "-f", "-"], text.replace("mk/web:v1", "mk/web:v2"));
  assert.equal(dry.stdout, "namespace/multi unchanged (server dry run)\ndeployment.apps/web configured (server dry run)\n");
  assert.equal((await cs.deployments.get("web", "multi")).spec?.template?.spec?.containers[0]?.image, "mk/web:v1");
});

test("apply errors: unknown kind, missing file, namespace mismatch", async () => {
  const ingress = writeTemp(dir, "ingress.yaml", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: s\n");
  assert.deepEqual(await mkctl(["apply", "-f", ingress]), {
    code: 1,
    stdout: "",
    stderr: `error: unable to recognize "${ingress}": no matches for kind "Ingress" in version "networking.k8s.io/v1"\n`,
  });
  const missing = await mkctl(["apply", "-f", join(dir, "nope.yaml")]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: the path ".*nope\.yaml" does not exist\n$/);
  const inNs = writeTemp(dir, "in-ns.yaml", WEB_NO_REPLICAS.replace("name: web\n", "name: web\n  namespace: multi\n"));
  const mismatch = await mkctl(["apply", "-n", "default", "-f", inNs]);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /the namespace from the provided object "multi" does not match the namespace "default"/);
});
