// Acceptance: `mkctl taint` adds and removes a node's taints in kubectl's words, and the scheduler
// keeps a pod without a matching toleration off the tainted node (simulated nodes, real scheduler).
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { simulatedNodes } from "../../harness/fake-kubelet.js";
import { mkctlFor, type Run, tempDir } from "../kubectl/mkctl.js";
import { boundNode, newPod, type SchedulingEnv, startEnv, unschedulableCondition } from "./env.js";

let env: SchedulingEnv;
let mkctl: (args: string[]) => Promise<Run>;

before(async () => {
  env = await startEnv(simulatedNodes(2, {}, "taint"));
  mkctl = mkctlFor(env.api.address);
});
after(() => env?.stop());

const ok = (stdout: string): Run => ({ code: 0, stdout, stderr: "" });
const taintsOf = async (node: string) => (await env.cs.nodes.get(node)).spec?.taints.map((t) => `${t.key}=${t.value}:${t.effect}`) ?? [];

test("taint adds, refuses a duplicate without --overwrite, modifies with it, and removes by key:effect or key", async () => {
  assert.deepEqual(await mkctl(["taint", "nodes", "taint-1", "dedicated=gpu:NoSchedule"]), ok("node/taint-1 tainted\n"));
  assert.deepEqual(await taintsOf("taint-1"), ["dedicated=gpu:NoSchedule"]);
  assert.deepEqual(await mkctl(["taint", "nodes", "taint-1", "dedicated=other:NoSchedule"]), {
    code: 1,
    stdout: "",
    stderr: "error: node taint-1 already has dedicated taint(s) with same effect(s) and --overwrite is false\n",
  });
  assert.deepEqual(await mkctl(["taint", "node", "taint-1", "dedicated=cpu:NoSchedule", "--overwrite"]), ok("node/taint-1 modified\n"));
  assert.deepEqual(await mkctl(["taint", "nodes", "taint-1", "dedicated:PreferNoSchedule", "spot=yes:NoExecute"]), ok("node/taint-1 tainted\n"));
  assert.deepEqual(await taintsOf("taint-1"), ["dedicated=:PreferNoSchedule", "spot=yes:NoExecute", "dedicated=cpu:NoSchedule"]);

  assert.deepEqual(await mkctl(["taint", "nodes", "taint-1", "spot:NoExecute-"]), ok("node/taint-1 untainted\n"));
  assert.deepEqual(await mkctl(["taint", "nodes", "taint-1", "spot:NoExecute-"]), { code: 1, stdout: "", stderr: 'error: taint "spot:NoExecute" not found\n' });
  assert.deepEqual(await mkctl(["taint", "nodes", "taint-1", "dedicated-"]), ok("node/taint-1 untainted\n"));
  assert.deepEqual(await taintsOf("taint-1"), []);
  assert.deepEqual(await mkctl(["taint", "nodes", "nowhere", "a=b:NoSchedule"]), { code: 1, stdout: "", stderr: 'Error from server (NotFound): nodes "nowhere" not found\n' });
  assert.deepEqual(await mkctl(["taint", "pods", "x", "a=b:NoSchedule"]), { code: 1, stdout: "", stderr: 'error: invalid resource type pods, only ["node" "nodes"] are supported\n' });
});

test("a pod without a toleration stays off the tainted node; one with it may go there", async () => {
  assert.deepEqual(await mkctl(["taint", "nodes", "taint-1", "team=a:NoSchedule"]), ok("node/taint-1 tainted\n"));
  // Pinned to the tainted node by its hostname label: the taint alone decides whether it fits.
  const pinned = { "kubernetes.io/hostname": "taint-1" };
  await env.cs.pods.create(newPod("intolerant", { nodeSelector: pinned }));
  await env.cs.pods.create(newPod("tolerant", { nodeSelector: pinned, tolerations: [{ key: "team", operator: "Equal", value: "a", effect: "NoSchedule" }] }));
  assert.equal(await boundNode(env.cs, "tolerant"), "taint-1");
  const why = await unschedulableCondition(env.cs, "intolerant");
  assert.equal(why.reason, "Unschedulable");
  assert.match(why.message, /untolerated taint/);
  assert.equal((await env.cs.pods.get("intolerant", "default")).spec?.nodeName, "");
  // Unpinned pods without the toleration all go to the other node.
  for (let i = 0; i < 4; i++) await env.cs.pods.create(newPod(`free-${i}`));
  for (let i = 0; i < 4; i++) assert.equal(await boundNode(env.cs, `free-${i}`), "taint-2");

  // Once the taint is gone, the waiting pod is placed there.
  assert.deepEqual(await mkctl(["taint", "nodes", "taint-1", "team:NoSchedule-"]), ok("node/taint-1 untainted\n"));
  assert.equal(await boundNode(env.cs, "intolerant", "default", 60_000), "taint-1");
});

test("taint's argument mistakes, answered as kubectl answers them (no server needed)", { skip: kubectlMissing() }, async () => {
  for (const argv of [
    ["taint"],
    ["taint", "nodes"],
    ["taint", "nodes", "n1", "k=v:Bad"],
    ["taint", "nodes", "n1", "k=v"],
    ["taint", "nodes", "n1", "k=v=x:NoSchedule"],
    ["taint", "nodes", "n1", "k=v!:NoSchedule"],
    ["taint", "nodes", "n1", "k=v:NoSchedule", "k=w:NoSchedule"],
    ["taint", "nodes", "n1", "k=v:NoSchedule", "foo"],
  ]) {
    const k = await kubectl(argv);
    const m = await mkctl(argv);
    assert.equal(m.stderr, k.stderr.replaceAll("kubectl", "mkctl"), argv.join(" "));
    assert.equal(m.code, k.code, argv.join(" "));
  }
});

function kubectlMissing(): string | false {
  return spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0 ? false : "kubectl is not on the PATH";
}

function kubectl(args: string[]): Promise<Run> {
  const home = tempDir("kubectl-home-");
  const kenv = { ...process.env, HOME: home, KUBECONFIG: join(home, "none") };
  return new Promise((resolve) => {
    execFile("kubectl", args, { env: kenv }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }));
  });
}
