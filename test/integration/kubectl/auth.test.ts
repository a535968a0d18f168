// mkctl auth can-i beside kubectl 1.32 on one TLS API server (kubectl posts a SelfSubjectAccessReview
// over HTTP, mkctl asks the same authorizer over gRPC): as the admin (system:masters) and as a node
// (system:node:NAME, the node authorizer's rules), the same `yes`/`no` lines, warnings and exit codes.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { issue } from "@mk/kubectl/cluster/pki.js";
import { type KubectlEnv, type Run, startKubectlEnv, tempDir } from "./mkctl.js";

let env: KubectlEnv;
let node: ReturnType<KubectlEnv["as"]>;
const dir = tempDir("mk-auth-");

before(async () => {
  env = await startKubectlEnv();
  const cert = { cert: join(dir, "node.crt"), key: join(dir, "node.key") };
  await issue(env.ca, cert, { subject: "/O=system:nodes/CN=system:node:can-i-1", usage: "client" });
  node = env.as(cert);
});
after(async () => {
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function same(m: Run, k: Run, what: string): void {
  assert.equal(m.stdout, k.stdout, `${what}: ${m.stderr} / ${k.stderr}`);
  assert.equal(m.code, k.code, what);
  assert.equal(m.stderr.replace(/mkctl/g, "kubectl"), k.stderr, what);
}

const ADMIN_YES = [
  ["create", "deployments"],
  ["delete", "pods", "-n", "kube-system"],
  ["list", "nodes"],
  ["get", "nodes/node-1"],
  ["list", "pods", "-A"],
  ["update", "deployments.apps", "--subresource=scale"],
  ["get", "/version"],
  ["*", "*"],
];

test("as the admin: yes, exit 0, the same warnings as kubectl", async () => {
  for (const q of ADMIN_YES) {
    const args = ["auth", "can-i", ...q];
    const [m, k] = [await env.mkctl(args), await env.kubectl(args)];
    assert.equal(m.stdout, "yes\n", `${q.join(" ")}: ${m.stderr}`);
    same(m, k, q.join(" "));
  }
});

const NODE = [
  // A node reads nodes and pods, and writes its own Node; it may not touch workloads or secrets it has no pod for.
  ["get", "nodes"],
  ["create", "deployments"],
  ["delete", "deployments", "-n", "default"],
  ["list", "secrets"],
  ["get", "secrets/db-password"],
  ["get", "configmaps/settings"],
  ["list", "pods"],
  ["update", "nodes/can-i-1", "--subresource=status"],
  ["update", "nodes/someone-else", "--subresource=status"],
  ["create", "events"],
  ["get", "/version"],
  ["escalate", "widgets"],
];

test("as a node: the node authorizer's answers; no exits 1, with kubectl's lines", async () => {
  const answers: string[] = [];
  for (const q of NODE) {
    const args = ["auth", "can-i", ...q];
    const [m, k] = [await node.mkctl(args), await node.kubectl(args)];
    same(m, k, q.join(" "));
    assert.equal(m.code, m.stdout.startsWith("yes") ? 0 : 1, q.join(" "));
    answers.push(`${q.join(" ")}: ${m.stdout.trim()}`);
  }
  // The answers themselves: a node may not create workloads, may read nodes and pods.
  assert.ok(answers.some((a) => a.startsWith("get nodes: yes")), answers.join("\n"));
  assert.ok(answers.some((a) => a.startsWith("create deployments: no")), answers.join("\n"));
  assert.ok(answers.some((a) => a.startsWith("list pods: yes")), answers.join("\n"));
  const quiet = await node.mkctl(["auth", "can-i", "create", "deployments", "-q"]);
  assert.deepEqual(quiet, { code: 1, stdout: "", stderr: "" });
});

test("bad arguments: kubectl's message and exit code", async () => {
  for (const q of [["get"], ["get", "pods", "web"], ["get", "/version", "--subresource=status"]]) {
    const args = ["auth", "can-i", ...q];
    const [m, k] = [await env.mkctl(args), await env.kubectl(args)];
    assert.equal(m.code, k.code, q.join(" "));
    assert.equal(m.stderr.replace(/mkctl/g, "kubectl"), k.stderr, q.join(" "));
  }
});
