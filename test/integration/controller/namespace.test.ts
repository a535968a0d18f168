// The controller manager's namespace controller against a real API server and etcd: a deleted
// namespace is emptied (a pod bound to a node waits for its kubelet's final delete), then its
// `kubernetes` finalizer is removed and it goes; a finalizer of someone else's in metadata.finalizers
// keeps it until removed. Only this controller runs (no kubelet: the test plays the kubelet's part).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { emptyMeta } from "@mk/proto";
import { type Clientset, connect, NotFoundError } from "@mk/proto/client";
import { InformerFactory } from "@mk/proto/informer";
import { silentLogger } from "@mk/controller/log.js";
import { NamespaceController } from "@mk/controller/namespace/controller.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { eventually } from "../../harness/wait.js";
import { deployment, pod } from "../apiserver/fixtures.js";

let api: TestApiServer;
let cs: Clientset;
const abort = new AbortController();
let factory: InformerFactory;
let run: Promise<void>;

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address });
  factory = new InformerFactory(cs, { logger: silentLogger });
  const c = new NamespaceController({ client: cs, namespaceInformer: factory.informerFor("Namespace"), logger: silentLogger, recheckMs: 200 });
  run = c.run(2, abort.signal);
  factory.start(abort.signal);
});
after(async () => {
  abort.abort();
  await run;
  await factory?.stop();
  cs?.close();
  await api?.stop();
});

const gone = async (name: string) => cs.namespaces.get(name).then(() => false, (err: unknown) => (err instanceof NotFoundError ? true : Promise.reject(err)));

test("deleting a namespace deletes what is in it, then the namespace", async () => {
  await cs.namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: emptyMeta({ name: "doomed" }) });
  await cs.deployments.create(deployment("d1", { namespace: "doomed" }));
  await cs.pods.create(pod("loose", { namespace: "doomed" }));
  await cs.pods.create(pod("on-node", { namespace: "doomed" }));
  await cs.bind("doomed", "on-node", "n1");
  const out = await cs.namespaces.delete("doomed");
  assert.equal(out.pending, true);
  assert.equal((await cs.namespaces.get("doomed")).status?.phase, "Terminating");
  // The unbound pod and the deployment go; the bound pod waits for its kubelet.
  await eventually("deployment deleted", async () => (await cs.deployments.list({ namespace: "doomed" })).items.length === 0, 30_000);
  await eventually("unbound pod deleted", async () => (await cs.pods.list({ namespace: "doomed" })).items.length === 1, 30_000);
  const waiting = await cs.pods.get("on-node", "doomed");
  assert.ok(waiting.metadata?.deletionTimestamp);
  const ns = await cs.namespaces.get("doomed");
  assert.deepEqual(ns.spec?.finalizers, ["kubernetes"], "the finalizer stays while something is left");
  // The kubelet's final delete; then the namespace goes.
  await cs.pods.delete("on-node", "doomed", { gracePeriodSeconds: 0 });
  await eventually("namespace deleted", () => gone("doomed"), 30_000);
});

test("a namespace held by another finalizer loses only `kubernetes`, and goes when the other is removed", async () => {
  await cs.namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: { ...emptyMeta({ name: "held" }), finalizers: ["example.com/hold"] } });
  await cs.pods.create(pod("p", { namespace: "held" }));
  await cs.namespaces.delete("held");
  await eventually("the namespace emptied and `kubernetes` removed", async (why) => {
    const ns = await cs.namespaces.get("held");
    return (ns.spec?.finalizers.length === 0 && (await cs.pods.list({ namespace: "held" })).items.length === 0) || why(JSON.stringify(ns.spec));
  }, 30_000);
  const ns = await cs.namespaces.get("held");
  assert.equal(ns.status?.phase, "Terminating");
  ns.metadata!.finalizers = [];
  await cs.namespaces.update(ns);
  await eventually("namespace deleted", () => gone("held"), 30_000);
});
