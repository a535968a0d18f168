import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { emptyMeta } from "@mk/proto";
import { type Clientset, ConflictError, connect, PreconditionFailedError } from "@mk/proto/client";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { deployment, failure, pod } from "./fixtures.js";

let api: TestApiServer;
let cs: Clientset;

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address, retry: { attempts: 1 } });
});
after(async () => {
  cs?.close();
  await api?.stop();
});

async function gone(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return false;
  } catch (err) {
    if ((err as { code?: number }).code === status.NOT_FOUND) return true;
    throw err;
  }
}

test("an unbound pod is deleted at once", async () => {
  await cs.pods.create(pod("unbound"));
  const out = await cs.pods.delete("unbound", "default");
  assert.equal(out.pending, false);
  assert.ok(await gone(() => cs.pods.get("unbound", "default")));
});

test("a bound pod keeps its deletionTimestamp until a grace-0 delete", async () => {
  await cs.pods.create(pod("bound"));
  await cs.bind("default", "bound", "n1");
  const before = Date.now();
  const out = await cs.pods.delete("bound", "default");
  assert.equal(out.pending, true);
  const p = await cs.pods.get("bound", "default");
  const dt = Date.parse(p.metadata?.deletionTimestamp ?? "");
  assert.ok(dt >= Math.floor(before / 1000) * 1000 + 29_000, `deletionTimestamp ${p.metadata?.deletionTimestamp} is now + 30 s`);
  assert.equal(p.metadata?.deletionGracePeriodSeconds, 30);
  // A second delete with a shorter grace shortens it; a longer one does not lengthen it.
  await cs.pods.delete("bound", "default", { gracePeriodSeconds: 5 });
  assert.equal((await cs.pods.get("bound", "default")).metadata?.deletionGracePeriodSeconds, 5);
  await cs.pods.delete("bound", "default", { gracePeriodSeconds: 60 });
  assert.equal((await cs.pods.get("bound", "default")).metadata?.deletionGracePeriodSeconds, 5);
  // The kubelet (or --force --grace-period=0) deletes it for good.
  const last = await cs.pods.delete("bound", "default", { gracePeriodSeconds: 0 });
  assert.equal(last.pending, false);
  assert.ok(await gone(() => cs.pods.get("bound", "default")));
});

test("finalizers hold an object until the last one is removed", async () => {
  await cs.pods.create(pod("held", { finalizers: ["example.com/hold", "example.com/also"] }));
  const out = await cs.pods.delete("held", "default");
  assert.equal(out.pending, true);
  const p = await cs.pods.get("held", "default");
  assert.ok(p.metadata?.deletionTimestamp);
  assert.ok(p.metadata);
  // No new finalizers while being deleted.
  p.metadata.finalizers = [...p.metadata.finalizers, "example.com/new"];
  assert.equal((await failure(() => cs.pods.update(p))).code, status.INVALID_ARGUMENT);
  p.metadata.finalizers = ["example.com/also"];
  const p2 = await cs.pods.update(p);
  assert.ok(p2.metadata);
  p2.metadata.finalizers = [];
  await cs.pods.update(p2);
  assert.ok(await gone(() => cs.pods.get("held", "default")));
});

test("Foreground and Orphan add the garbage collector's finalizers; Background deletes now", async () => {
  await cs.deployments.create(deployment("fg"));
  await cs.deployments.create(deployment("orph"));
  await cs.deployments.create(deployment("bg"));
  assert.equal((await cs.deployments.delete("fg", "default", { propagationPolicy: "Foreground" })).pending, true);
  assert.deepEqual((await cs.deployments.get("fg", "default")).metadata?.finalizers, ["foregroundDeletion"]);
  assert.equal((await cs.deployments.delete("orph", "default", { propagationPolicy: "Orphan" })).pending, true);
  assert.deepEqual((await cs.deployments.get("orph", "default")).metadata?.finalizers, ["orphan"]);
  assert.equal((await cs.deployments.delete("bg", "default", { propagationPolicy: "Background" })).pending, false);
  assert.ok(await gone(() => cs.deployments.get("bg", "default")));
  const bad = await failure(() => cs.deployments.delete("fg", "default", { propagationPolicy: "Sideways" as "Background" }));
  assert.equal(bad.code, status.INVALID_ARGUMENT);
});

test("preconditions: uid and resourceVersion must match", async () => {
  const p = await cs.pods.create(pod("pre"));
  const uidErr = await failure(() => cs.pods.delete("pre", "default", { preconditions: { uid: "not-the-uid" } }));
  assert.ok(uidErr instanceof ConflictError);
  assert.ok(uidErr instanceof PreconditionFailedError, "a failed precondition is told apart by its class, not its message");
  assert.match(uidErr.message, /^Precondition failed: UID in precondition: not-the-uid/);
  assert.ok(p.metadata);
  p.metadata.labels.changed = "1";
  await cs.pods.update(p);
  const rvErr = await failure(() => cs.pods.delete("pre", "default", { preconditions: { resourceVersion: p.metadata?.resourceVersion } }));
  assert.ok(rvErr instanceof PreconditionFailedError);
  await cs.pods.delete("pre", "default", { preconditions: { uid: p.metadata.uid } });
  assert.ok(await gone(() => cs.pods.get("pre", "default")));
});

test("a deleted namespace stays Terminating, holding the namespace controller's finalizer, and takes nothing new", async () => {
  // Emptying it is the controller manager's namespace controller's work
  // (test/integration/controller/namespace.test.ts); the API server alone only marks it.
  await cs.namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: emptyMeta({ name: "doomed" }) });
  await cs.pods.create(pod("loose", { namespace: "doomed" }));
  assert.deepEqual((await cs.namespaces.get("doomed")).spec?.finalizers, ["kubernetes"]);
  const out = await cs.namespaces.delete("doomed");
  assert.equal(out.pending, true);
  const ns = await cs.namespaces.get("doomed");
  assert.equal(ns.status?.phase, "Terminating");
  // Nothing new in a terminating namespace.
  const forbidden = await failure(() => cs.pods.create(pod("late", { namespace: "doomed" })));
  assert.equal(forbidden.code, status.PERMISSION_DENIED);
  assert.match(forbidden.message, /because it is being terminated/);
  // An update that keeps spec.finalizers keeps it; a delete again too.
  ns.metadata!.labels = { touched: "yes" };
  await cs.namespaces.update(ns);
  assert.equal((await cs.namespaces.delete("doomed")).pending, true);
  assert.equal((await cs.pods.list({ namespace: "doomed" })).items.length, 1, "the API server deletes nothing in it itself");
});

test("default and mk-system may not be deleted", async () => {
  const e = await failure(() => cs.namespaces.delete("default"));
  assert.equal(e.code, status.PERMISSION_DENIED);
  assert.equal(e.message, 'namespaces "default" is forbidden: this namespace may not be deleted');
});
