// The pod GC against a real API server and etcd: pods bound to a Node that does not exist are
// force-deleted after a quarantine, and a node that turns up during the quarantine keeps its pods.
// The fake kubelet serves fake-1 … fake-3; the pod GC is the only controller.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { emptyMeta, Node } from "@mk/proto";
import { NotFoundError } from "@mk/proto/client";
import { type ControllerEnv, startEnv } from "./env.js";
import { eventually } from "../../harness/wait.js";
import { orphanPod } from "./objects.js";

const QUARANTINE_MS = 5_000;

let env: ControllerEnv;
before(async () => {
  env = await startEnv({ controllers: ["podgc"], podGCQuarantineMs: QUARANTINE_MS });
});
after(async () => {
  await env?.stop();
});

async function boundPod(name: string, nodeName: string): Promise<void> {
  const p = orphanPod(name, { test: "podgc" });
  if (p.spec) p.spec.nodeName = nodeName;
  await env.client.pods.create(p);
}

const getPod = (name: string) => env.client.pods.get(name, "default").catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a pod bound to a node that does not exist is force-deleted after the quarantine, not before", async () => {
  const t0 = Date.now();
  await boundPod("ghost-pod", "ghost");
  await sleep(QUARANTINE_MS / 2);
  assert.ok(await getPod("ghost-pod"), "still there halfway through the quarantine");
  await eventually("pod gone", async () => !(await getPod("ghost-pod")), 30_000);
  assert.ok(Date.now() - t0 >= QUARANTINE_MS, `deleted after ${Date.now() - t0} ms, before the ${QUARANTINE_MS} ms quarantine ended`);
});

test("a node that registers during the quarantine keeps its pods", async () => {
  await boundPod("late-pod", "late");
  await sleep(1_000); // the pod GC has seen the pod, and no node for it
  await env.client.nodes.create(Node.fromPartial({ metadata: emptyMeta({ name: "late" }) }));
  await sleep(QUARANTINE_MS + 2_000);
  const p = await getPod("late-pod");
  assert.ok(p, "the pod of a node that exists stays");
  assert.equal(p.metadata?.deletionTimestamp, "");
});

test("pods of a deleted node go, the one waiting for its kubelet's graceful deletion too; other nodes' pods stay", async () => {
  await boundPod("doomed-running", "fake-1");
  await boundPod("doomed-terminating", "fake-1");
  await boundPod("bystander", "fake-2");
  await eventually("pods Running", async () => {
    const phases = await Promise.all(["doomed-running", "doomed-terminating", "bystander"].map(async (n) => (await getPod(n))?.status?.phase));
    return phases.every((ph) => ph === "Running");
  }, 30_000);
  // The node's kubelet dies: a graceful deletion there never finishes.
  env.kubelet.silence("fake-1");
  await env.client.pods.delete("doomed-terminating", "default");
  assert.ok((await getPod("doomed-terminating"))?.metadata?.deletionTimestamp, "waits for its kubelet");
  await env.client.nodes.delete("fake-1");
  await eventually("both pods of fake-1 gone", async () => !(await getPod("doomed-running")) && !(await getPod("doomed-terminating")), 30_000);
  const b = await getPod("bystander");
  assert.equal(b?.metadata?.deletionTimestamp, "", "a pod of a node that exists stays");
});
