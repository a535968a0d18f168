// mkctl run, logs (-f, --tail, --previous) and exec (exit code passed through) against a real API
// server and a real kubelet on Docker.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Clientset, connect } from "@mk/proto/client";
import { Kubelet } from "@mk/kubelet/kubelet.js";
import { DockerRuntime } from "@mk/kubelet/runtime/docker.js";
import { pino } from "pino";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { mkctlFor, REPO, tempDir } from "../kubectl/mkctl.js";
import { cleanupNode, PAUSE, uniqueNode } from "./fixtures.js";
import { eventually } from "../../harness/wait.js";

const nodeName = uniqueNode("ctl");
let api: TestApiServer;
let cs: Clientset;
let kubelet: Kubelet;
let mkctl: ReturnType<typeof mkctlFor>;
const configDir = tempDir();

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address });
  kubelet = new Kubelet(
    cs,
    new DockerRuntime(),
    { nodeName, clusterId: api.address, nodeIp: "127.0.0.1", port: 0, healthzPort: -1, podInfraImage: PAUSE, allowPrivileged: false, leaseRenewMs: 2_000, labels: {}, taints: [], resyncMs: 2_000 },
    pino({ level: process.env.MK_TEST_LOG ?? "silent" }),
  );
  await kubelet.start();
  mkctl = mkctlFor(api.address, configDir);
});

after(async () => {
  await kubelet?.stop();
  await cleanupNode(nodeName);
  cs?.close();
  await api?.stop();
});

/** No scheduler here: bind the pod ourselves, then wait for the phase. */
async function bindAndWait(name: string, ok: (phase: string, reason: string) => boolean): Promise<void> {
  await cs.bind("default", name, nodeName);
  await eventually(`${name} scheduled and running`, async () => {
    const p = await cs.pods.get(name, "default");
    const reason = p.status?.containerStatuses[0]?.state?.waiting?.reason ?? "";
    return ok(p.status?.phase ?? "", reason) ? true : undefined;
  }, 40_000);
}

test("mkctl run, exec with its exit code, logs --tail and -f", async () => {
  const r = await mkctl([
    "run",
    "ticker",
    "--image=mk/busybox:1",
    "--image-pull-policy=IfNotPresent",
    "--env",
    "GREETING=hi",
    "--command",
    "--",
    "sh",
    "-c",
    "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.3; done",
  ]);
  assert.equal(r.stdout, "pod/ticker created\n", r.stderr);
  const pod = await cs.pods.get("ticker", "default");
  assert.equal(pod.metadata?.labels.run, "ticker");
  await bindAndWait("ticker", (phase) => phase === "Running");

  const ok = await mkctl(["exec", "ticker", "--", "sh", "-c", 'echo "$GREETING from $(hostname)"']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "hi from ticker\n");
  const bad = await mkctl(["exec", "ticker", "--", "sh", "-c", "echo oops >&2; exit 3"]);
  assert.equal(bad.code, 3);
  assert.equal(bad.stderr, "oops\ncommand terminated with exit code 3\n");

  const tail = await mkctl(["logs", "ticker", "--tail", "2"]);
  assert.equal(tail.code, 0, tail.stderr);
  assert.equal(tail.stdout.trim().split("\n").length, 2);

  // -f: lines keep coming after mkctl started.
  const child = spawn(process.execPath, [join(REPO, "kubectl/dist/main.js"), "--server", api.address, "logs", "-f", "ticker", "--tail", "1"], {
    env: { ...process.env, MK_CONFIG: join(configDir, "config") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  await eventually("followed lines", async () => (out.trim().split("\n").length >= 4 ? true : undefined), 10_000);
  const exited = new Promise((res) => child.once("exit", res));
  child.kill("SIGINT");
  await exited;
  const nums = out.trim().split("\n").map((l) => Number(l.replace("line ", "")));
  assert.ok(nums.every((n, i) => i === 0 || n === (nums[i - 1] ?? 0) + 1), out);
});

test("mkctl logs --previous shows the last words of a crashed container", async () => {
  const r = await mkctl(["run", "crash", "--image=mk/busybox:1", "--image-pull-policy=IfNotPresent", "--command", "--", "sh", "-c", "echo last words of $(hostname); exit 1"]);
  assert.equal(r.code, 0, r.stderr);
  await bindAndWait("crash", (_phase, reason) => reason === "CrashLoopBackOff");
  const prev = await mkctl(["logs", "crash", "--previous"]);
  assert.equal(prev.code, 0, prev.stderr);
  assert.equal(prev.stdout, "last words of crash\n");
  const wide = await mkctl(["get", "pods", "-o", "wide"]);
  assert.match(wide.stdout, /crash\s+0\/1\s+(CrashLoopBackOff|Error)\s+\d+/);
  assert.ok(wide.stdout.includes(nodeName), wide.stdout);
});
