// Every write path of a stored object (Update, UpdateStatus, UpdateScale, Bind, graceful Delete) goes
// through the store's guaranteedUpdate and the kind's strategy: with a strategy whose validateUpdate
// rejects everything (the server's injected strategies table), each one is refused over gRPC with
// INVALID_ARGUMENT naming the field, and the object is left as it was.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { type KindName, metaOf } from "@mk/proto";
import { STRATEGIES, type Strategy, type StrategyTable } from "@mk/apiserver";
import { type ApiError, type Clientset, connect, InvalidError } from "@mk/proto/client";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { deployment, failure, pod } from "./fixtures.js";

/** The field the test strategy names in every refusal. */
const FIELD = "metadata.annotations[test.mk.io/frozen]";

function frozen<K extends KindName>(s: Strategy<K>): Strategy<K> {
  return { ...s, validateUpdate: () => [{ field: FIELD, type: "Forbidden", detail: "the test strategy refuses every change" }] };
}

const strategies: StrategyTable = { ...STRATEGIES, Pod: frozen(STRATEGIES.Pod), Deployment: frozen(STRATEGIES.Deployment) };

let api: TestApiServer;
let cs: Clientset;

before(async () => {
  api = await startTestApiServer({ strategies });
  cs = connect({ server: api.address, retry: { attempts: 1 } });
});
after(async () => {
  cs?.close();
  await api?.stop();
});

function assertRefused(err: ApiError, what: string): void {
  assert.ok(err instanceof InvalidError, `${what}: expected InvalidError, got ${err.name}: ${err.message}`);
  assert.equal(err.code, status.INVALID_ARGUMENT, what);
  assert.ok(err.message.includes(FIELD), `${what}: the message names the field: ${err.message}`);
  assert.deepEqual(
    err.fields.map((f) => f.field),
    [FIELD],
    what,
  );
}

test("Update, UpdateStatus and UpdateScale of a Deployment are refused by its strategy, and change nothing", async () => {
  const created = await cs.deployments.create(deployment("web", { replicas: 1 }));
  const rv = metaOf(created).resourceVersion;

  const changed = structuredClone(created);
  metaOf(changed).labels = { tier: "front" };
  assertRefused(await failure(() => cs.deployments.update(changed)), "Update");

  const withStatus = structuredClone(created);
  assert.ok(withStatus.status);
  withStatus.status.observedGeneration = 1;
  assertRefused(await failure(() => cs.deployments.updateStatus(withStatus)), "UpdateStatus");

  assertRefused(await failure(() => cs.updateScale("Deployment", "default", "web", 3)), "UpdateScale");

  const after = await cs.deployments.get("web", "default");
  assert.equal(metaOf(after).resourceVersion, rv);
  assert.equal(after.spec?.replicas, 1);
  assert.equal(metaOf(after).generation, 1);
});

test("Bind of a Pod is refused by its strategy, and the pod stays unbound", async () => {
  const created = await cs.pods.create(pod("unbound"));
  assertRefused(await failure(() => cs.bind("default", "unbound", "node-1")), "Bind");
  const after = await cs.pods.get("unbound", "default");
  assert.equal(after.spec?.nodeName, "");
  assert.equal(metaOf(after).resourceVersion, metaOf(created).resourceVersion);
});

test("a graceful Delete of a Pod on a node is refused by its strategy, and the pod is not marked", async () => {
  // A pod bound to a node is deleted gracefully: it is marked (an update), not removed at once.
  const created = await cs.pods.create(pod("running", { nodeName: "node-1" }));
  assertRefused(await failure(() => cs.pods.delete("running", "default")), "graceful Delete");
  const after = await cs.pods.get("running", "default");
  assert.equal(metaOf(after).deletionTimestamp, "");
  assert.equal(metaOf(after).resourceVersion, metaOf(created).resourceVersion);
});

test("an immediate Delete removes the object whatever its strategy says (deleting is always allowed)", async () => {
  await cs.pods.create(pod("never-scheduled"));
  await cs.pods.delete("never-scheduled", "default");
  const err = await failure(() => cs.pods.get("never-scheduled", "default"));
  assert.equal(err.code, status.NOT_FOUND);
});
