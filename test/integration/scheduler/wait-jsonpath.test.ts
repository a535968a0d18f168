// Acceptance: `mkctl wait --for=jsonpath='{.status.phase}'=Running` returns once the pod runs (real
// scheduler, simulated nodes whose fake kubelet marks pods Running), and times out with kubectl's
// message; the argument errors are kubectl's, compared with kubectl itself where it needs no server.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { simulatedNodes } from "../../harness/fake-kubelet.js";
import { mkctlFor, type Run, tempDir } from "../kubectl/mkctl.js";
import { newPod, type SchedulingEnv, startEnv } from "./env.js";

let env: SchedulingEnv;
let mkctl: (args: string[]) => Promise<Run>;

before(async () => {
  env = await startEnv(simulatedNodes(1, {}, "waitjp"));
  mkctl = mkctlFor(env.api.address);
});
after(() => env?.stop());

test("wait --for=jsonpath returns when the value is there; a filter's == is not the separator; -l waits on each", async () => {
  // The pod exists (as kubectl, wait answers NotFound for a named object that does not) but is not
  // Running yet: the wait starts at once, before the scheduler and the simulated node have run it.
  await env.cs.pods.create(newPod("jp-1"));
  const waiting = mkctl(["wait", "--for=jsonpath={.status.phase}=Running", "pod/jp-1", "--timeout=60s"]);
  assert.deepEqual(await waiting, { code: 0, stdout: "pod/jp-1 condition met\n", stderr: "" });
  assert.equal((await env.cs.pods.get("jp-1", "default")).status?.phase, "Running");

  const ready = await mkctl(["wait", '--for=jsonpath={.status.conditions[?(@.type=="Ready")].status}=True', "pods", "jp-1", "--timeout=60s"]);
  assert.deepEqual(ready, { code: 0, stdout: "pod/jp-1 condition met\n", stderr: "" });
  // Relaxed form (no braces) and no value: the path only has to find something.
  assert.deepEqual(await mkctl(["wait", "--for=jsonpath=.spec.nodeName", "pod/jp-1", "--timeout=60s"]), { code: 0, stdout: "pod/jp-1 condition met\n", stderr: "" });

  await env.cs.pods.create(newPod("jp-2"));
  const all = await mkctl(["wait", "--for=jsonpath={.status.phase}=Running", "pods", "--all", "--timeout=60s"]);
  assert.deepEqual(all, { code: 0, stdout: "pod/jp-1 condition met\npod/jp-2 condition met\n", stderr: "" });
});

test("wait --for=jsonpath times out with kubectl's message", async () => {
  const started = Date.now();
  const r = await mkctl(["wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/jp-1", "--timeout=2s"]);
  assert.deepEqual(r, { code: 1, stdout: "", stderr: "error: timed out waiting for the condition on pods/jp-1\n" });
  assert.ok(Date.now() - started >= 2_000, "waited the whole timeout");
  const missing = await mkctl(["wait", "--for=jsonpath={.status.phase}=Running", "pod/nobody", "--timeout=2s"]);
  assert.deepEqual(missing, { code: 1, stdout: "", stderr: 'Error from server (NotFound): pods "nobody" not found\n' });
});

test("wait's --for mistakes, answered as kubectl answers them", { skip: kubectlMissing() }, async () => {
  for (const argv of [
    ["wait", "--for=jsonpath={.a}=", "pod/x"],
    ["wait", "--for=jsonpath=", "pod/x"],
    ["wait", "--for=jsonpath={.a}=b=c", "pod/x"],
    ["wait", "--for=jsonpath={{.a}", "pod/x"],
    ["wait", "--for=bogus", "pod/x"],
    ["wait", "--for=jsonpath={.a}=1"],
  ]) {
    const k = await kubectl(argv);
    const m = await mkctl(argv);
    assert.equal(m.stderr, k.stderr.split("\n").filter((l) => !/^[EIW]\d{4} /.test(l)).join("\n"), argv.join(" "));
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
