// Acceptance: `mkctl drain` cordons a node and empties it of owned pods, which their ReplicaSet
// replaces and the scheduler places elsewhere; a pod nobody owns stops it unless --force.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { EventRecorder } from "@mk/proto/client";
import { InformerFactory } from "@mk/proto/informer";
import { silentLogger } from "@mk/controller/log.js";
import { ReplicaSetController } from "@mk/controller/replicaset/controller.js";
import { simulatedNodes } from "../../harness/fake-kubelet.js";
import { replicaSet } from "../controller/objects.js";
import { mkctlFor, type Run } from "../kubectl/mkctl.js";
import { newPod, type SchedulingEnv, startEnv } from "./env.js";
import { eventually } from "../../harness/wait.js";

let env: SchedulingEnv;
let mkctl: (args: string[]) => Promise<Run>;
const stopControllers = new AbortController();
let controllers: Promise<void>;
let factory: InformerFactory;

before(async () => {
  env = await startEnv(simulatedNodes(3));
  mkctl = mkctlFor(env.api.address);
  // The ReplicaSet controller replaces what drain deletes (a test may run anything in-process).
  factory = new InformerFactory(env.cs, { logger: silentLogger });
  const rsc = new ReplicaSetController({
    client: env.cs,
    rsInformer: factory.informerFor("ReplicaSet"),
    podInformer: factory.informerFor("Pod"),
    recorder: new EventRecorder(env.cs, { component: "mk-controller-manager" }),
    logger: silentLogger,
  });
  controllers = rsc.run(2, stopControllers.signal);
  factory.start(stopControllers.signal);
});

after(async () => {
  stopControllers.abort();
  await controllers;
  await factory?.stop();
  await env?.stop();
});

async function podsByNode(selector: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const p of (await env.cs.pods.list({ namespace: "default", labelSelector: selector })).items) {
    if (p.metadata?.deletionTimestamp) continue;
    counts.set(p.spec?.nodeName ?? "", (counts.get(p.spec?.nodeName ?? "") ?? 0) + 1);
  }
  return counts;
}

test("a pod no controller owns stops the drain; --force deletes it", async () => {
  await env.cs.pods.create(newPod("bare", { nodeSelector: { "kubernetes.io/hostname": "fake-3" } }));
  await eventually("bare bound", async () => (await env.cs.pods.get("bare", "default")).spec?.nodeName === "fake-3");
  const r = await mkctl(["drain", "fake-3"]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "node/fake-3 cordoned\n");
  assert.equal(
    r.stderr,
    'error: unable to drain node "fake-3" due to error: cannot delete Pods that declare no controller (use --force to override): default/bare, continuing command...\n' +
      "There are pending nodes to be drained:\n fake-3\n" +
      "error: cannot delete Pods that declare no controller (use --force to override): default/bare\n",
  );
  const f = await mkctl(["drain", "fake-3", "--force", "--timeout", "20s"]);
  assert.equal(f.stderr, "Warning: deleting Pods that declare no controller: default/bare\n");
  assert.equal(f.stdout, "node/fake-3 already cordoned\nevicting pod default/bare\npod/bare evicted\nnode/fake-3 drained\n");
  assert.equal(f.code, 0);
  await mkctl(["uncordon", "fake-3"]);
});

test("drain empties a node of owned pods; their ReplicaSet replaces them on the other nodes", async () => {
  await env.cs.replicaSets.create(replicaSet("web", 6));
  await eventually("6 pods spread 2/2/2", async () => {
    const c = await podsByNode("app=web");
    return c.get("fake-1") === 2 && c.get("fake-2") === 2 && c.get("fake-3") === 2;
  });
  const r = await mkctl(["drain", "fake-1", "--timeout", "30s"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines[0], "node/fake-1 cordoned");
  assert.equal(lines.filter((l) => /^evicting pod default\/web-\w+$/.test(l)).length, 2);
  assert.equal(lines.filter((l) => /^pod\/web-\w+ evicted$/.test(l)).length, 2);
  assert.equal(lines.at(-1), "node/fake-1 drained");
  const counts = await eventually("replacements bound elsewhere", async () => {
    const c = await podsByNode("app=web");
    return c.get("fake-2") === 3 && c.get("fake-3") === 3 && !c.has("fake-1") && !c.has("") ? c : undefined;
  });
  assert.equal(counts.size, 2);
  assert.equal((await env.cs.nodes.get("fake-1")).spec?.unschedulable, true);
});
