// ConfigMaps, Secrets, Jobs and CronJobs through the real kubectl 1.32 over the HTTP API (issue 12,
// criterion 6): kubectl's `create configmap` and `create secret generic|tls|docker-registry` (typed
// writes, sent as Kubernetes protobuf) make the objects mkctl makes; `get cm,secret,jobs,cronjobs`,
// `-o yaml` (Secret data in base64) and `describe secret` (sizes, never values) print what mkctl
// prints.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type KubectlEnv, startKubectlEnv, tempDir } from "./mkctl.js";

let env: KubectlEnv;
let dir = "";

before(async () => {
  env = await startKubectlEnv();
  dir = tempDir("mk-kubectl-config-");
});
after(async () => {
  await env?.stop();
});

async function ok(tool: "kubectl" | "mkctl", args: string[]): Promise<string> {
  const r = tool === "kubectl" ? await env.kubectl(args) : await env.mkctl(args);
  assert.equal(r.code, 0, `${tool} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** AGE cells differ by when each object was made: masked. */
const noAge = (s: string) => s.replace(/\b\d+(s|m|h|d)\b/g, "AGE");

test("kubectl create configmap and secret generic make what mkctl makes", async () => {
  writeFileSync(join(dir, "app.properties"), "color=blue\nsize=3\n");
  for (const [tool, suffix] of [["kubectl", "k"], ["mkctl", "m"]] as const) {
    assert.equal(await ok(tool, ["create", "configmap", `settings-${suffix}`, "--from-literal=color=blue", `--from-file=${join(dir, "app.properties")}`]), `configmap/settings-${suffix} created\n`);
    assert.equal(await ok(tool, ["create", "secret", "generic", `creds-${suffix}`, "--from-literal=token=s3cr3t", "--from-literal=user=admin"]), `secret/creds-${suffix} created\n`);
  }
  const [k, m] = await Promise.all([env.cs.resource("ConfigMap").get("settings-k", "default"), env.cs.resource("ConfigMap").get("settings-m", "default")]);
  assert.deepEqual(k.data, m.data);
  assert.deepEqual(k.data, { color: "blue", "app.properties": "color=blue\nsize=3\n" });
  const [ks, ms] = await Promise.all([env.cs.resource("Secret").get("creds-k", "default"), env.cs.resource("Secret").get("creds-m", "default")]);
  assert.equal(ks.type, "Opaque");
  assert.deepEqual(ks.data, ms.data);
  assert.equal(Buffer.from(ks.data.token ?? new Uint8Array()).toString(), "s3cr3t");
});

test("kubectl create secret tls and docker-registry: the types and their keys", async () => {
  const pki = { cert: join(dir, "tls.crt"), key: join(dir, "tls.key") };
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=mk", "-days", "1", "-keyout", pki.key, "-out", pki.cert], { stdio: "ignore" });
  for (const [tool, suffix] of [["kubectl", "k"], ["mkctl", "m"]] as const) {
    assert.equal(await ok(tool, ["create", "secret", "tls", `tls-${suffix}`, `--cert=${pki.cert}`, `--key=${pki.key}`]), `secret/tls-${suffix} created\n`);
    assert.equal(await ok(tool, ["create", "secret", "docker-registry", `reg-${suffix}`, "--docker-server=127.0.0.1:5000", "--docker-username=u", "--docker-password=p"]), `secret/reg-${suffix} created\n`);
  }
  for (const name of ["tls", "reg"]) {
    const [k, m] = await Promise.all([env.cs.resource("Secret").get(`${name}-k`, "default"), env.cs.resource("Secret").get(`${name}-m`, "default")]);
    assert.equal(k.type, m.type);
    assert.deepEqual(Object.keys(k.data).sort(), Object.keys(m.data).sort());
  }
  assert.equal((await env.cs.resource("Secret").get("tls-k", "default")).type, "kubernetes.io/tls");
  assert.equal((await env.cs.resource("Secret").get("reg-k", "default")).type, "kubernetes.io/dockerconfigjson");
});

test("get cm,secret,jobs,cronjobs, -o yaml and describe secret: kubectl and mkctl print the same", async () => {
  await ok("mkctl", ["create", "job", "once", "--image=mk/busybox:1", "--", "true"]);
  await ok("mkctl", ["create", "cronjob", "nightly", "--image=mk/busybox:1", "--schedule=0 3 * * *", "--", "true"]);
  const get = ["get", "cm,secret,jobs,cronjobs"];
  assert.equal(noAge(await ok("mkctl", get)), noAge(await ok("kubectl", get)));
  const yaml = ["get", "secret", "creds-k", "-o", "jsonpath={.data.token}"];
  assert.equal(await ok("kubectl", yaml), Buffer.from("s3cr3t").toString("base64"));
  assert.equal(await ok("mkctl", yaml), await ok("kubectl", yaml));
  const describe = await ok("kubectl", ["describe", "secret", "creds-k"]);
  assert.match(describe, /^token:\s+6 bytes$/m, describe);
  assert.doesNotMatch(describe, /s3cr3t/);
  // kubectl walks the data map in Go's random order: the same lines, mkctl's sorted.
  const lines = (t: string) => t.split("\n").sort();
  assert.deepEqual(lines(await ok("mkctl", ["describe", "secret", "creds-k"])), lines(describe));
});
