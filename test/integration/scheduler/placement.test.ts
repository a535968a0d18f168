// Acceptance: three nodes with different free memory; a pod lands on the only one with room; a pod
// too big for all stays Pending with Kubernetes' exact message and a FailedScheduling event, and is
// bound within 2 s of a big enough node being added.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { mkctlFor } from "../kubectl/mkctl.js";
import { boundNode, eventsFor, newPod, type SchedulingEnv, setUnschedulable, startEnv, unschedulableCondition } from "./env.js";
import { eventually } from "../../harness/wait.js";

let env: SchedulingEnv;

before(async () => {
  env = await startEnv([
    { name: "fake-1", ip: "127.0.0.2", memory: "2Gi" },
    { name: "fake-2", ip: "127.0.0.3", memory: "3Gi" },
    { name: "fake-3", ip: "127.0.0.4", memory: "6Gi" },
  ]);
});

after(async () => {
  await env?.stop();
});

test("a pod needing more memory than two nodes have lands on the third", async () => {
  await env.cs.pods.create(newPod("mid", { memory: "4Gi" }));
  assert.equal(await boundNode(env.cs, "mid"), "fake-3");
  const scheduled = await eventually("Scheduled event", async () => (await eventsFor(env.cs, "mid")).find((e) => e.reason === "Scheduled"));
  assert.equal(scheduled.message, "Successfully assigned default/mid to fake-3");
  // The fake kubelet runs it.
  await eventually("mid Running", async () => (await env.cs.pods.get("mid", "default")).status?.phase === "Running");
});

test("a pod too big for every node stays Pending with the exact message and an event, then binds within 2 s of room appearing", async () => {
  // fake-1 cordoned; fake-2 has 3Gi; fake-3 has 6Gi − 4Gi = 2Gi left: nowhere for 5Gi.
  await setUnschedulable(env.cs, "fake-1", true);
  await eventually("cordon seen", async () => env.scheduler.cache.node("fake-1")?.node?.spec?.unschedulable === true);
  await env.cs.pods.create(newPod("big", { memory: "5Gi" }));
  const want = "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient memory.";
  const cond = await unschedulableCondition(env.cs, "big");
  assert.deepEqual(cond, { reason: "Unschedulable", message: want });
  const ev = await eventually("FailedScheduling event", async () => (await eventsFor(env.cs, "big")).find((e) => e.reason === "FailedScheduling"));
  assert.equal(ev.type, "Warning");
  assert.equal(ev.message, want);
  // `mkctl describe pod` shows why it waits.
  const described = await mkctlFor(env.api.address)(["describe", "pod", "big"]);
  assert.match(described.stdout, /PodScheduled\s+False/);
  assert.ok(described.stdout.includes(`FailedScheduling`), described.stdout);
  assert.ok(described.stdout.includes(want), described.stdout);
  const pod = await env.cs.pods.get("big", "default");
  assert.equal(pod.spec?.nodeName, "");
  assert.equal(pod.status?.phase, "Pending");

  // Let the first backoff (1 s) run out, as a pod that has waited a while has.
  await new Promise((r) => setTimeout(r, 1200));
  const t0 = Date.now();
  await env.kubelet.addNode({ name: "fake-4", ip: "127.0.0.5", memory: "8Gi" });
  assert.equal(await boundNode(env.cs, "big", "default", 2000), "fake-4");
  const ms = Date.now() - t0;
  assert.ok(ms < 2000, `bound ${ms} ms after the node was added`);
});
