// mkctl diff beside kubectl 1.32 on one API server (kubectl over HTTP, mkctl over gRPC): the same
// unified diff of LIVE and MERGED (the server's dry run of the apply), the same exit codes (0 none,
// 1 differences, 2 an error), KUBECTL_EXTERNAL_DIFF honoured, and nothing written by either.
import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { NotFoundError } from "@mk/proto/client";
import { type KubectlEnv, type Run, startKubectlEnv, tempDir, WEB_NO_REPLICAS, writeTemp } from "./mkctl.js";

let env: KubectlEnv;
const dir = tempDir("mk-diff-");

before(async () => {
  env = await startKubectlEnv();
  const file = writeTemp(dir, "web.yaml", WEB_NO_REPLICAS);
  assert.equal((await env.mkctl(["apply", "-f", file])).stdout, "deployment.apps/web created\n");
});
after(async () => {
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The temp dirs' random parts and diff's timestamps masked: what is left must be the same. */
function masked(s: string): string {
  return s.replace(/\/tmp\/(LIVE|MERGED)-[A-Za-z0-9]+/g, "/tmp/$1-X").replace(/^((?:---|\+\+\+) \S+)\t.*$/gm, "$1\tTIME");
}

/** An object the dry run created has a new uid and the second it was made at, in each tool's run. */
function created(s: string): string {
  return masked(s).replace(/^\+( {2}uid: ).*$/gm, "+$1UID").replace(/^\+( {2}creationTimestamp: ).*$/gm, "+$1TIME");
}

async function both(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ mkctl: Run; kubectl: Run }> {
  return { mkctl: await env.mkctlWith(args, extra), kubectl: await env.kubectl(args, extra) };
}

async function webVersion(): Promise<string> {
  return (await env.cs.deployments.get("web", "default")).metadata?.resourceVersion ?? "";
}

const CHANGED = WEB_NO_REPLICAS.replace("mk/web:v1", "mk/web:v2").replace("spec:\n", "spec:\n  replicas: 3\n");

test("a changed manifest: the same unified diff and exit 1; nothing written", async () => {
  const rv = await webVersion();
  const file = writeTemp(dir, "changed.yaml", CHANGED);
  const r = await both(["diff", "-f", file]);
  assert.equal(r.mkctl.code, 1, r.mkctl.stderr);
  assert.equal(r.kubectl.code, 1, r.kubectl.stderr);
  assert.equal(r.mkctl.stderr, "");
  assert.equal(masked(r.mkctl.stdout), masked(r.kubectl.stdout));
  assert.match(r.mkctl.stdout, /^diff -u -N \/tmp\/LIVE-\w+\/apps\.v1\.Deployment\.default\.web \/tmp\/MERGED-\w+\/apps\.v1\.Deployment\.default\.web\n/);
  assert.match(r.mkctl.stdout, /\n-  replicas: 1\n\+  replicas: 3\n/);
  assert.match(r.mkctl.stdout, /\n-      - image: mk\/web:v1\n\+      - image: mk\/web:v2\n/);
  assert.equal(await webVersion(), rv);
});

test("the manifest as applied: no output, exit 0", async () => {
  const r = await both(["diff", "-f", join(dir, "web.yaml")]);
  assert.deepEqual(r.mkctl, { code: 0, stdout: "", stderr: "" });
  assert.deepEqual(r.kubectl, r.mkctl);
});

test("a new object and a directory: the whole object added, the server's defaults in it; nothing created", async () => {
  const sub = join(dir, "many");
  mkdirSync(sub);
  writeTemp(sub, "a-web.yaml", CHANGED);
  writeTemp(sub, "b-cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n");
  writeTemp(sub, "c-secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  token: s3cr3t\n");
  const r = await both(["diff", "-f", sub]);
  assert.equal(r.mkctl.code, 1, r.mkctl.stderr);
  assert.equal(r.kubectl.code, 1, r.kubectl.stderr);
  assert.equal(created(r.mkctl.stdout), created(r.kubectl.stdout));
  assert.match(r.mkctl.stdout, /\n\+kind: ConfigMap\n/);
  // A Secret's values are never printed.
  assert.match(r.mkctl.stdout, /\n\+  token: '\*\*\*'\n/);
  assert.doesNotMatch(r.mkctl.stdout, /s3cr3t|czNjcjN0/);
  await assert.rejects(env.cs.resource("ConfigMap").get("settings", "default"), NotFoundError);
  // -f - reads stdin: the same diff as the file.
  const stdin = await env.mkctl(["diff", "-f", "-"], CHANGED);
  assert.equal(stdin.code, 1);
  assert.equal(masked(stdin.stdout), masked((await env.mkctl(["diff", "-f", join(sub, "a-web.yaml")])).stdout));
});

test("KUBECTL_EXTERNAL_DIFF: its program, its plain flags after the two directories", async () => {
  const file = writeTemp(dir, "changed2.yaml", CHANGED);
  const r = await both(["diff", "-f", file], { KUBECTL_EXTERNAL_DIFF: "diff -q --label=$HOME" });
  assert.equal(r.mkctl.code, 1, r.mkctl.stderr);
  assert.equal(r.kubectl.code, 1, r.kubectl.stderr);
  assert.match(r.mkctl.stdout, /^Files \/tmp\/LIVE-\w+\/apps\.v1\.Deployment\.default\.web and \/tmp\/MERGED-\w+\/apps\.v1\.Deployment\.default\.web differ\n$/);
  assert.equal(masked(r.mkctl.stdout), masked(r.kubectl.stdout));
});

test("errors exit 2: a missing file, an invalid manifest", async () => {
  const missing = await both(["diff", "-f", join(dir, "nope.yaml")]);
  assert.deepEqual(missing.mkctl, { code: 2, stdout: "", stderr: `error: the path "${join(dir, "nope.yaml")}" does not exist\n` });
  assert.deepEqual(missing.kubectl, missing.mkctl);
  const bad = writeTemp(dir, "bad.yaml", WEB_NO_REPLICAS.replace("spec:\n", "spec:\n  replicas: -1\n"));
  const invalid = await both(["diff", "-f", bad]);
  assert.equal(invalid.mkctl.code, 2, invalid.mkctl.stderr);
  assert.equal(invalid.kubectl.code, 2, invalid.kubectl.stderr);
  assert.match(invalid.mkctl.stderr, /spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);
  assert.equal(invalid.mkctl.stdout, "");
});
