// create -f, replace -f and get -f against a real API server: files, directories, stdin and
// several documents per file, with kubectl's lines (`deployment.apps/web created`, `replaced`) and
// its errors naming the file; beside kubectl itself where it answers without a server.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { NotFoundError } from "@mk/proto/client";
import { type MkctlEnv, type Run, startMkctlEnv, tempDir, WEB_NO_REPLICAS, writeTemp } from "./mkctl.js";

let env: MkctlEnv;
const dir = tempDir("mkctl-files-");

before(async () => {
  env = await startMkctlEnv();
});
after(() => env.stop());

const CM = (name: string, value: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
  key: "${value}"
`;

const KUBECTL = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;

function kubectl(args: string[]): Promise<Run> {
  const home = tempDir("kubectl-home-");
  const env2 = { ...process.env, HOME: home, KUBECONFIG: join(home, "none") };
  return new Promise((resolve) => {
    execFile("kubectl", args, { env: env2, cwd: dir }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }));
  });
}

test("create -f: every document of a file, kubectl's lines; a second time every one fails naming the file", async () => {
  const file = writeTemp(dir, "web.yaml", `${WEB_NO_REPLICAS}---\n${CM("web-config", "1")}`);
  const r = await env.mkctl(["create", "-f", file]);
  assert.deepEqual(r, { code: 0, stdout: "deployment.apps/web created\nconfigmap/web-config created\n", stderr: "" });
  assert.equal((await env.cs.resource("ConfigMap").get("web-config", "default")).data.key, "1");
  assert.equal((await env.cs.deployments.get("web", "default")).spec?.template?.spec?.containers[0]?.image, "mk/web:v1");

  const again = await env.mkctl(["create", "-f", file]);
  assert.deepEqual(again, {
    code: 1,
    stdout: "",
    stderr:
      `Error from server (AlreadyExists): error when creating "${file}": deployments.apps "web" already exists\n` +
      `Error from server (AlreadyExists): error when creating "${file}": configmaps "web-config" already exists\n`,
  });
});

test("create -f DIR and -: the others are created when one exists; generateName names come from the server", async () => {
  const sub = join(dir, "manifests");
  mkdirSync(sub);
  writeTemp(sub, "a.yaml", CM("dir-a", "a"));
  writeTemp(sub, "b.yml", CM("web-config", "again"));
  writeTemp(sub, "c.json", JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dir-c" } }));
  writeTemp(sub, "notes.txt", "not a manifest");
  const r = await env.mkctl(["create", "-f", sub]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "configmap/dir-a created\nconfigmap/dir-c created\n");
  assert.equal(r.stderr, `Error from server (AlreadyExists): error when creating "${join(sub, "b.yml")}": configmaps "web-config" already exists\n`);
  assert.equal((await env.cs.resource("ConfigMap").get("web-config", "default")).data.key, "1", "the existing object is left as it was");

  const stdin = await env.mkctl(["create", "-f", "-", "-o", "name"], "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: gen-\n");
  assert.equal(stdin.code, 0, stdin.stderr);
  const name = /^configmap\/(gen-[a-z0-9]{5})\n$/.exec(stdin.stdout)?.[1];
  assert.ok(name, stdin.stdout);
  await env.cs.resource("ConfigMap").get(name, "default");
});

test("create -f refuses an unknown field, naming it, and writes nothing; -n must match the manifest's namespace", async () => {
  const bad = writeTemp(dir, "bad.yaml", `${CM("bad-one", "x")}  extra: 1\nbogus: true\n`);
  const r = await env.mkctl(["create", "-f", bad]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^The ConfigMap "bad-one" is invalid: .*bogus.*\n$/);
  await assert.rejects(env.cs.resource("ConfigMap").get("bad-one", "default"), NotFoundError);

  const other = writeTemp(dir, "other-ns.yaml", CM("in-team", "x").replace("name: in-team", "name: in-team\n  namespace: team"));
  assert.deepEqual(await env.mkctl(["create", "-f", other, "-n", "default"]), {
    code: 1,
    stdout: "",
    stderr:
      `error: the namespace from the provided object "team" does not match the namespace "default". You must pass '--namespace=team' to perform this operation.\n`,
  });
});

test("replace -f: the whole object replaced; a missing one and a stale resourceVersion fail as kubectl says", async () => {
  const cm = writeTemp(dir, "replace.yaml", `${CM("web-config", "2")}---\n${CM("never-made", "x")}`);
  const r = await env.mkctl(["replace", "-f", cm]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "configmap/web-config replaced\n");
  assert.equal(r.stderr, `Error from server (NotFound): error when replacing "${cm}": configmaps "never-made" not found\n`);
  const live = await env.cs.resource("ConfigMap").get("web-config", "default");
  assert.equal(live.data.key, "2");

  const stale = writeTemp(dir, "stale.yaml", CM("web-config", "3").replace("name: web-config", `name: web-config\n  resourceVersion: "1"`));
  const conflict = await env.mkctl(["replace", "-f", stale]);
  assert.equal(conflict.code, 1);
  assert.equal(
    conflict.stderr,
    `Error from server (Conflict): error when replacing "${stale}": Operation cannot be fulfilled on configmaps "web-config": the object has been modified; please apply your changes to the latest version and try again\n`,
  );
  assert.equal((await env.cs.resource("ConfigMap").get("web-config", "default")).data.key, "2");

  const viaStdin = await env.mkctl(["replace", "-f", "-"], WEB_NO_REPLICAS.replace("selector:", "replicas: 3\n  selector:"));
  assert.deepEqual(viaStdin, { code: 0, stdout: "deployment.apps/web replaced\n", stderr: "" });
  assert.equal((await env.cs.deployments.get("web", "default")).spec?.replicas, 3);
});

test("get -f: the named objects, a table per kind with the kind in NAME; -o name; not found", async () => {
  const file = writeTemp(dir, "get.yaml", `${WEB_NO_REPLICAS}---\n${CM("web-config", "1")}---\n${CM("dir-a", "1")}`);
  const table = await env.mkctl(["get", "-f", file]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(
    table.stdout,
    /^NAME +READY +UP-TO-DATE +AVAILABLE +AGE\ndeployment\.apps\/web +0\/3 +0 +0 +\d+s\n\nNAME +DATA +AGE\nconfigmap\/web-config +1 +\d+s\nconfigmap\/dir-a +1 +\d+s\n$/,
  );
  assert.deepEqual(await env.mkctl(["get", "-f", file, "-o", "name"]), { code: 0, stdout: "deployment.apps/web\nconfigmap/web-config\nconfigmap/dir-a\n", stderr: "" });
  const one = JSON.parse((await env.mkctl(["get", "-f", join(dir, "manifests", "a.yaml"), "-o", "json"])).stdout) as { kind: string };
  assert.equal(one.kind, "ConfigMap", "one manifest, one object (not a List), as kubectl");
  const missing = await env.mkctl(["get", "-f", join(dir, "replace.yaml")]);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /^NAME +DATA +AGE\nweb-config +1 +\d+s\n$/);
  assert.equal(missing.stderr, 'Error from server (NotFound): configmaps "never-made" not found\n');
});

test("the mistakes kubectl answers without a server, answered the same", { skip: KUBECTL ? false : "kubectl is not on the PATH" }, async () => {
  const file = writeTemp(dir, "plain.yaml", CM("plain", "1"));
  for (const argv of [
    ["create"],
    ["replace"],
    ["create", "-f", join(dir, "nowhere.yaml")],
    ["replace", "-f", join(dir, "nowhere.yaml")],
    ["get", "-f", join(dir, "nowhere.yaml")],
    ["get", "pods", "-f", file],
  ]) {
    const k = await kubectl(argv);
    const m = await env.mkctl(argv);
    // kubectl's discovery logs a klog line (E1204 …) about its missing server before the answer.
    const kLines = k.stderr.split("\n").filter((l) => !/^[EIW]\d{4} /.test(l)).join("\n");
    assert.equal(m.stderr, kLines.replaceAll("kubectl", "mkctl"), argv.join(" "));
    assert.equal(m.code, k.code, argv.join(" "));
  }
});
