// mkctl config view|get-contexts|get-clusters|get-users|current-context|use-context|set-context,
// run beside Kubernetes' kubectl on copies of the same file (kubectl answers these without a server):
// the same output, the same errors, and the same file afterwards.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runMkctl } from "../../harness/mkctl.js";
import { type Run, tempDir, writeTemp } from "./mkctl.js";
import { KUBECTL_MISSING } from "./tls-env.js";

const dir = tempDir("mk-kubeconfig-");
const CONFIG = `apiVersion: v1
kind: Config
clusters:
- name: one
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: QUJD
- name: two
  cluster:
    server: https://10.0.0.1:6443
    insecure-skip-tls-verify: true
users:
- name: one
  user:
    client-certificate-data: QUJD
    client-key-data: QUJD
- name: tok
  user:
    token: secret
contexts:
- name: one
  context:
    cluster: one
    user: one
    namespace: dev
- name: b
  context:
    cluster: two
    user: tok
current-context: one
`;

function kubectl(file: string, args: string[]): Promise<Run> {
  const env = { ...process.env, HOME: join(dir, "home"), KUBECONFIG: file };
  return new Promise((resolve) => {
    execFile("kubectl", ["--kubeconfig", file, ...args], { env }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }));
  });
}

const mkctl = (file: string, args: string[]) => runMkctl(["--kubeconfig", file, ...args], { env: { MK_CONFIG: file } });

/** kubectl's get-clusters prints its names in Go's map order, which changes from run to run (get-users sorts
 * them); mkctl sorts both, so that listing is compared as a set of lines. */
const UNORDERED = new Set(["config get-clusters"]);
const lines = (s: string) => s.split("\n").sort().join("\n");

/** Both tools on their own copy of `text`; outputs and the files afterwards must be equal. */
async function same(name: string, text: string | undefined, argv: string[]): Promise<Run> {
  const k = join(dir, `${name}.kubectl`);
  const m = join(dir, `${name}.mkctl`);
  if (text !== undefined) {
    writeTemp(dir, `${name}.kubectl`, text);
    copyFileSync(k, m);
  }
  const [kr, mr] = await Promise.all([kubectl(k, argv), mkctl(m, argv)]);
  const order = UNORDERED.has(argv.join(" ")) ? lines : (s: string) => s;
  assert.equal(order(mr.stdout), order(kr.stdout), `stdout of ${argv.join(" ")}`);
  assert.equal(mr.stderr, kr.stderr, `stderr of ${argv.join(" ")}`);
  assert.equal(mr.code, kr.code, `exit code of ${argv.join(" ")}`);
  if (text !== undefined) assert.equal(readFileSync(m, "utf8"), readFileSync(k, "utf8"), `the file after ${argv.join(" ")}`);
  return mr;
}

test("config view (redacted, --raw, --minify, -o json, jsonpath) and the listings print what kubectl prints", { skip: KUBECTL_MISSING }, async () => {
  const viewed = await same("read", CONFIG, ["config", "view"]);
  assert.match(viewed.stdout, /certificate-authority-data: DATA\+OMITTED\n/);
  assert.match(viewed.stdout, /token: REDACTED\n/);
  for (const argv of [
    ["config", "view", "--raw"],
    ["config", "view", "--minify", "-o", "json"],
    ["config", "view", "-o", "json"],
    ["config", "view", "-o", "jsonpath={.contexts[*].name}"],
    ["config", "get-contexts"],
    ["config", "get-contexts", "one"],
    ["config", "get-contexts", "-o", "name"],
    ["config", "get-contexts", "nope"],
    ["config", "get-clusters"],
    ["config", "get-users"],
    ["config", "current-context"],
  ]) {
    await same("read", undefined, argv);
  }
});

test("an empty or missing config reads as kubectl reads it", { skip: KUBECTL_MISSING }, async () => {
  for (const argv of [["config", "view"], ["config", "current-context"], ["config", "get-contexts"]]) await same("missing", undefined, argv);
});

test("use-context and set-context change the file as kubectl does, with its messages", { skip: KUBECTL_MISSING }, async () => {
  assert.equal((await same("use", CONFIG, ["config", "use-context", "b"])).stdout, 'Switched to context "b".\n');
  await same("use-missing", CONFIG, ["config", "use-context", "zz"]);
  assert.equal((await same("ns", CONFIG, ["config", "set-context", "--current", "--namespace=team"])).stdout, 'Context "one" modified.\n');
  await same("ns-long", CONFIG, ["config", "set-context", "b", "--namespace", "x", "--cluster=one"]);
  assert.equal((await same("new", CONFIG, ["config", "set-context", "fresh", "--cluster=two", "--user=tok"])).stdout, 'Context "fresh" created.\n');
  await same("none", CONFIG, ["config", "set-context"]);
  // And mkctl then uses the namespace it was told to.
  const m = join(dir, "ns.mkctl");
  assert.match(readFileSync(m, "utf8"), /namespace: team\n/);
});
