// The garbage collector over kinds it has no code for: Leases (nothing in mk owns anything with one)
// and a Node (cluster-scoped) own Pods here, and each propagation policy acts on them as it does on
// Deployments and ReplicaSets. Real API server and etcd; the fake kubelet runs the pods and finishes
// their graceful deletions; the garbage collector is the only controller.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { emptyMeta, Lease, Node, type OwnerReference, type Pod } from "@mk/proto";
import { NotFoundError, retryOnConflict } from "@mk/proto/client";
import { type ControllerEnv, startEnv } from "./env.js";
import { eventually } from "../../harness/wait.js";
import { orphanPod } from "./objects.js";

/** A finalizer of the test's own: a pod carrying it stays, being deleted, until the test lets it go. */
const HOLD = "mk.test/hold";

let env: ControllerEnv;
before(async () => {
  env = await startEnv({ controllers: ["gc"] });
});
after(async () => {
  await env?.stop();
});

async function leaseOwner(name: string): Promise<OwnerReference> {
  const l = await env.client.leases.create(Lease.fromPartial({ metadata: emptyMeta({ name, namespace: "default" }), spec: { holderIdentity: "test" } }));
  return { apiVersion: "coordination.k8s.io/v1", kind: "Lease", name, uid: l.metadata?.uid ?? "", controller: true, blockOwnerDeletion: true };
}

async function ownedPod(name: string, owners: OwnerReference[], finalizers: string[] = []): Promise<Pod> {
  const p = orphanPod(name, { test: "gc-any-kind" });
  if (p.metadata) {
    p.metadata.ownerReferences = owners;
    p.metadata.finalizers = finalizers;
  }
  return env.client.pods.create(p);
}

const getPod = (name: string) => env.client.pods.get(name, "default").catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
const getLease = (name: string) => env.client.leases.get(name, "default").catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
const running = async (name: string) => (await getPod(name))?.status?.phase === "Running";

test("Background: a Lease's pods are deleted once the Lease is gone", async () => {
  const owner = await leaseOwner("bg");
  await ownedPod("bg-1", [owner]);
  await ownedPod("bg-2", [owner]);
  await eventually("both pods Running", async () => (await running("bg-1")) && (await running("bg-2")), 30_000);
  await env.client.leases.delete("bg", "default");
  assert.equal(await getLease("bg"), undefined, "Background: the owner goes at once");
  await eventually("both pods gone", async () => !(await getPod("bg-1")) && !(await getPod("bg-2")), 30_000);
});

test("Foreground: the Lease stays with foregroundDeletion until its pods are gone, then goes", async () => {
  const owner = await leaseOwner("fg");
  await ownedPod("fg-held", [owner], [HOLD]);
  await ownedPod("fg-free", [owner]);
  await eventually("both pods Running", async () => (await running("fg-held")) && (await running("fg-free")), 30_000);
  await env.client.leases.delete("fg", "default", { propagationPolicy: "Foreground" });
  // The collector deletes both pods; the held one stays, being deleted, until HOLD goes.
  await eventually("fg-free gone, fg-held being deleted", async () => !(await getPod("fg-free")) && !!(await getPod("fg-held"))?.metadata?.deletionTimestamp, 30_000);
  await new Promise((r) => setTimeout(r, 1_000));
  const waiting = await getLease("fg");
  assert.ok(waiting?.metadata?.deletionTimestamp, "the owner is being deleted");
  assert.deepEqual(waiting.metadata.finalizers, ["foregroundDeletion"], "and waits for its pods");
  await retryOnConflict(async () => {
    const p = await env.client.pods.get("fg-held", "default");
    if (p.metadata) p.metadata.finalizers = p.metadata.finalizers.filter((f) => f !== HOLD);
    await env.client.pods.update(p);
  });
  await eventually("pod and owner gone", async () => !(await getPod("fg-held")) && !(await getLease("fg")), 30_000);
});

test("Orphan: the pods stay without their reference to the Lease; the Lease goes", async () => {
  const owner = await leaseOwner("orph");
  await ownedPod("orph-1", [owner]);
  await ownedPod("orph-2", [owner]);
  await eventually("both pods Running", async () => (await running("orph-1")) && (await running("orph-2")), 30_000);
  await env.client.leases.delete("orph", "default", { propagationPolicy: "Orphan" });
  await eventually("owner gone", async () => !(await getLease("orph")), 30_000);
  // A collector that deleted them would have had the same second to do it.
  await new Promise((r) => setTimeout(r, 1_000));
  for (const name of ["orph-1", "orph-2"]) {
    const p = await env.client.pods.get(name, "default");
    assert.equal(p.metadata?.deletionTimestamp, "", `${name} is not being deleted`);
    assert.deepEqual(p.metadata?.ownerReferences, [], `${name} has no owner left`);
  }
});

test("a cluster-scoped owner: a Node's pods go with it", async () => {
  const n = await env.client.nodes.create(Node.fromPartial({ metadata: emptyMeta({ name: "owner-node" }) }));
  const owner: OwnerReference = { apiVersion: "v1", kind: "Node", name: "owner-node", uid: n.metadata?.uid ?? "", controller: false, blockOwnerDeletion: false };
  await ownedPod("of-node", [owner]);
  await eventually("pod Running", () => running("of-node"), 30_000);
  await env.client.nodes.delete("owner-node");
  await eventually("pod gone", async () => !(await getPod("of-node")), 30_000);
});

test("two owners: deleting one removes only the reference to it; the pod stays with the other", async () => {
  const first = await leaseOwner("first");
  const second = { ...(await leaseOwner("second")), controller: false };
  await ownedPod("shared", [first, second]);
  await eventually("pod Running", () => running("shared"), 30_000);
  await env.client.leases.delete("first", "default");
  const p = await eventually("the reference to the deleted owner removed", async () => {
    const cur = await getPod("shared");
    return cur?.metadata?.ownerReferences.length === 1 ? cur : undefined;
  }, 30_000);
  assert.equal(p.metadata?.ownerReferences[0]?.uid, second.uid);
  assert.equal(p.metadata?.deletionTimestamp, "");
});
