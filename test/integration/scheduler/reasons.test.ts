// Acceptance: taints, tolerations, nodeSelector and host ports, each with Kubernetes' reason.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { boundNode, newPod, type SchedulingEnv, startEnv, unschedulableCondition } from "./env.js";

let env: SchedulingEnv;

before(async () => {
  env = await startEnv([
    { name: "fake-1", ip: "127.0.0.2", labels: { disk: "hdd" } },
    { name: "fake-2", ip: "127.0.0.3", labels: { disk: "hdd" } },
  ]);
  // fake-2 is dedicated to gpu work.
  const n = await env.cs.nodes.get("fake-2");
  n.spec = { unschedulable: false, podCidr: "", podCidrs: [], providerId: "", taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule", timeAdded: "" }] };
  await env.cs.nodes.update(n);
});

after(async () => {
  await env?.stop();
});

test("a taint keeps off pods that do not tolerate it; a toleration lets them on", async () => {
  await env.cs.pods.create(newPod("plain", { nodeSelector: { "kubernetes.io/hostname": "fake-2" } }));
  const c = await unschedulableCondition(env.cs, "plain");
  assert.equal(c.message, "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: gpu}.");
  await env.cs.pods.create(
    newPod("tolerant", { nodeSelector: { "kubernetes.io/hostname": "fake-2" }, tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }] }),
  );
  assert.equal(await boundNode(env.cs, "tolerant"), "fake-2");
});

test("nodeSelector: no node with the label gives the selector reason", async () => {
  await env.cs.pods.create(newPod("ssd", { nodeSelector: { disk: "ssd" } }));
  const c = await unschedulableCondition(env.cs, "ssd");
  assert.equal(c.reason, "Unschedulable");
  // fake-2 fails on its taint first (filters run in Kubernetes' order); reasons sort as strings.
  assert.equal(c.message, "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: gpu}.");
});

test("hostPort: a second pod wanting a taken port on the only possible node gives the ports reason", async () => {
  await env.cs.pods.create(newPod("web-a", { hostPort: 8080 }));
  assert.equal(await boundNode(env.cs, "web-a"), "fake-1");
  await env.cs.pods.create(newPod("web-b", { hostPort: 8080 }));
  const c = await unschedulableCondition(env.cs, "web-b");
  assert.equal(c.message, "0/2 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 1 node(s) had untolerated taint {dedicated: gpu}.");
  // The port comes free when web-a goes: web-b then fits.
  await env.cs.pods.delete("web-a", "default", { gracePeriodSeconds: 0 });
  assert.equal(await boundNode(env.cs, "web-b"), "fake-1");
});
