// mkctl scale, set image and rollout status|history|undo|pause|resume|restart against a real API
// server with the controllers running: kubectl's exact messages and exit codes.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type ControllerEnv, startEnv } from "./env.js";
import { eventually } from "../../harness/wait.js";
import { deployment } from "./objects.js";

const MKCTL = join(fileURLToPath(import.meta.url), "..", "..", "..", "..", "..", "kubectl", "dist", "main.js");
let env: ControllerEnv;

before(async () => {
  env = await startEnv({ nodes: 3 });
});
after(async () => {
  await env?.stop();
});

function mkctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MKCTL, "--server", env.server.address, ...args], { env: { ...process.env, MK_CONFIG: "/nonexistent" } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await mkctl(...args);
  assert.equal(r.code, 0, `mkctl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const complete = (name: string, n: number) =>
  eventually(`${name} rolled out at ${n}`, async () => {
    const d = await env.client.deployments.get(name, "default");
    const s = d.status;
    return s && s.observedGeneration >= (d.metadata?.generation ?? 0) && s.updatedReplicas === n && s.replicas === n && s.availableReplicas === n;
  }, 30_000);

test("scale: every spelling, and a bare name is a deployment", async () => {
  await env.client.deployments.create(deployment("node", { replicas: 1 }));
  await complete("node", 1);
  assert.equal(await ok("scale", "--replicas=2", "node"), "deployment.apps/node scaled\n");
  assert.equal(await ok("scale", "deployment/node", "--replicas=3"), "deployment.apps/node scaled\n");
  assert.equal(await ok("scale", "deploy", "node", "--replicas=2"), "deployment.apps/node scaled\n");
  assert.equal(await ok("scale", "deployment", "node", "--replicas=3"), "deployment.apps/node scaled\n");
  await complete("node", 3);
});

test("set image, rollout status and history with change causes", async () => {
  const r = await mkctl("set", "image", "deployment/node", "nope=mk/web:v2");
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'error: unable to find container named "nope"\n');
  assert.equal(await ok("set", "image", "deployment/node", "web=mk/web:v2", "--record"), "deployment.apps/node image updated\n");
  const status = await ok("rollout", "status", "deployment/node", "--timeout=30s");
  assert.match(status, /deployment "node" successfully rolled out\n$/);
  assert.equal(await ok("set", "image", "node", "*=mk/web:v3", "--record"), "deployment.apps/node image updated\n");
  await ok("rollout", "status", "node");
  const hist = await ok("rollout", "history", "deployment/node");
  assert.equal(
    hist,
    [
      "deployment.apps/node ",
      "REVISION  CHANGE-CAUSE",
      "1         <none>",
      "2         mkctl set image deployment/node web=mk/web:v2 --record=true",
      "3         mkctl set image node *=mk/web:v3 --record=true",
      "",
      "",
    ].join("\n"),
  );
  const rev2 = await ok("rollout", "history", "deployment/node", "--revision=2");
  assert.match(rev2, /^deployment.apps\/node with revision #2\nPod Template:\n/);
  assert.match(rev2, /Image:\tmk\/web:v2/);
  assert.doesNotMatch(rev2, /pod-template-hash/);
});

test("undo, undo --to-revision, skipped rollback", async () => {
  assert.equal(await ok("rollout", "undo", "deployment/node"), "deployment.apps/node rolled back\n");
  await ok("rollout", "status", "node");
  let d = await env.client.deployments.get("node", "default");
  assert.equal(d.spec?.template?.spec?.containers[0]?.image, "mk/web:v2");
  assert.equal(d.metadata?.annotations["deployment.kubernetes.io/revision"], "4");
  assert.equal(await ok("rollout", "undo", "deployment/node", "--to-revision=1"), "deployment.apps/node rolled back\n");
  await complete("node", 3);
  d = await env.client.deployments.get("node", "default");
  assert.equal(d.spec?.template?.spec?.containers[0]?.image, "mk/web:v1");
  assert.equal(d.spec?.template?.metadata?.labels["pod-template-hash"], undefined);
  assert.equal(
    await ok("rollout", "undo", "deployment/node", "--to-revision=5"),
    "deployment.apps/node skipped rollback (current template already matches revision 5)\n",
  );
  const missing = await mkctl("rollout", "undo", "deployment/node", "--to-revision=42");
  assert.equal(missing.stderr, "error: unable to find specified revision 42 in history\n");
});

test("pause, set image: nothing rolls; resume: it rolls; restart", async () => {
  assert.equal(await ok("rollout", "pause", "deployment/node"), "deployment.apps/node paused\n");
  const again = await mkctl("rollout", "pause", "deployment/node");
  assert.equal(again.code, 1);
  assert.equal(again.stderr, 'error: deployments.apps "node" is already paused\n');
  await ok("set", "image", "deployment/node", "web=mk/web:v9");
  await new Promise((r) => setTimeout(r, 500));
  const rss = (await env.client.replicaSets.list({ namespace: "default", labelSelector: "app=node" })).items;
  assert.ok(!rss.some((rs) => rs.spec?.template?.spec?.containers[0]?.image === "mk/web:v9"), "no rollout while paused");
  const undo = await mkctl("rollout", "undo", "deployment/node");
  assert.equal(undo.code, 1);
  assert.match(undo.stderr, /you cannot rollback a paused deployment/);
  assert.equal(await ok("rollout", "resume", "deployment/node"), "deployment.apps/node resumed\n");
  await ok("rollout", "status", "deployment/node", "--timeout=30s");
  const after = (await env.client.replicaSets.list({ namespace: "default", labelSelector: "app=node" })).items;
  assert.equal(after.find((rs) => rs.spec?.template?.spec?.containers[0]?.image === "mk/web:v9")?.spec?.replicas, 3);
  assert.equal(await ok("rollout", "restart", "deployment/node"), "deployment.apps/node restarted\n");
  await ok("rollout", "status", "deployment/node", "--timeout=30s");
  const d = await env.client.deployments.get("node", "default");
  assert.ok(d.spec?.template?.metadata?.annotations["kubectl.kubernetes.io/restartedAt"]);
});

test("rollout status: exits 1 when the progress deadline is exceeded; --timeout", async () => {
  // Every simulated kubelet goes quiet: the new pod is never bound nor ready, so nothing moves for
  // longer than the 5 s deadline. (The last test of the file: the others need the kubelets.)
  for (const n of ["fake-1", "fake-2", "fake-3"]) env.kubelet.silence(n);
  await env.client.deployments.create(deployment("stuck", { replicas: 1, progressDeadlineSeconds: 5 }));
  const t = await mkctl("rollout", "status", "deployment/stuck", "--timeout=1s");
  assert.equal(t.code, 1);
  assert.equal(t.stderr, "error: timed out waiting for the condition\n");
  assert.match(t.stdout, /^Waiting for deployment "stuck" rollout to finish: /);
  const r = await mkctl("rollout", "status", "deployment/stuck", "--timeout=30s");
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'error: deployment "stuck" exceeded its progress deadline\n');

});
