// @kubernetes/client-node, Kubernetes' own JavaScript client, against mk's HTTP edge with the cluster
// CA and a client certificate: list, create, a watch that sees ADDED, MODIFIED and DELETED, and an
// informer that survives an API server restart (restarted by its error handler, as client-node's
// documentation shows; it relists and fires the delete of what went away meanwhile).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CoreV1Api, KubeConfig, makeInformer, type V1ConfigMap, Watch } from "@kubernetes/client-node";
import { type ApiServer, startApiServer } from "@mk/apiserver";
import { pino } from "pino";
import { initPki, type Pki } from "@mk/kubectl/cluster/pki.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { eventually } from "../../harness/wait.js";

let api: TestApiServer;
let dir: string;
let pki: Pki;
let kc: KubeConfig;
/** The API server started in place of the first one by the restart test. */
let second: ApiServer | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mk-client-node-"));
  pki = (await initPki({ dir, advertiseAddress: "127.0.0.1", tokenTtlSeconds: 60 })).pki;
  api = await startTestApiServer({ tls: { cert: readFileSync(pki.apiserver.cert), key: readFileSync(pki.apiserver.key), clientCa: readFileSync(pki.ca.cert) } });
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "mk", server: `https://${api.address}`, caFile: pki.ca.cert, skipTLSVerify: false }],
    users: [{ name: "admin", certFile: pki.admin.cert, keyFile: pki.admin.key }],
    contexts: [{ name: "mk", cluster: "mk", user: "admin", namespace: "default" }],
    currentContext: "mk",
  });
});

after(async () => {
  await second?.stop();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const configMap = (name: string, data: Record<string, string>): V1ConfigMap => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels: { suite: "client-node" } }, data });

test("client-node: create, read and list ConfigMaps and Namespaces", async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const created = await core.createNamespacedConfigMap({ namespace: "default", body: configMap("cn-one", { a: "1" }) });
  assert.equal(created.metadata?.name, "cn-one");
  assert.match(created.metadata?.resourceVersion ?? "", /^\d+$/);
  const read = await core.readNamespacedConfigMap({ name: "cn-one", namespace: "default" });
  assert.deepEqual(read.data, { a: "1" });
  const list = await core.listNamespacedConfigMap({ namespace: "default", labelSelector: "suite=client-node" });
  assert.deepEqual(
    list.items.map((c) => c.metadata?.name),
    ["cn-one"],
  );
  assert.match(list.metadata?.resourceVersion ?? "", /^\d+$/);
  const namespaces = await core.listNamespace();
  assert.ok(namespaces.items.some((n) => n.metadata?.name === "default"));
  await assert.rejects(core.readNamespacedConfigMap({ name: "cn-missing", namespace: "default" }), (err: unknown) => (err as { code?: number }).code === 404);
});

test("client-node Watch sees ADDED, MODIFIED and DELETED for changes after the list's resourceVersion", async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedConfigMap({ namespace: "default" });
  const seen: string[] = [];
  const watch = new Watch(kc);
  let ended: unknown;
  const controller = await watch.watch(
    "/api/v1/namespaces/default/configmaps",
    { resourceVersion: list.metadata?.resourceVersion ?? "", labelSelector: "suite=client-node" },
    (type: string, obj: V1ConfigMap) => seen.push(`${type} ${obj.metadata?.name} ${JSON.stringify(obj.data ?? {})}`),
    (err: unknown) => {
      ended = err ?? "ended";
    },
  );
  try {
    await core.createNamespacedConfigMap({ namespace: "default", body: configMap("cn-two", { b: "1" }) });
    await core.replaceNamespacedConfigMap({ name: "cn-two", namespace: "default", body: { ...(await core.readNamespacedConfigMap({ name: "cn-two", namespace: "default" })), data: { b: "2" } } });
    await core.deleteNamespacedConfigMap({ name: "cn-two", namespace: "default" });
    await eventually("ADDED, MODIFIED and DELETED of cn-two", () => seen.length >= 3 || ended !== undefined, 30_000);
    assert.deepEqual(seen, ['ADDED cn-two {"b":"1"}', 'MODIFIED cn-two {"b":"2"}', 'DELETED cn-two {"b":"2"}'], `ended: ${String(ended)}`);
  } finally {
    controller.abort();
  }
});

test("client-node informer survives an API server restart: relists, sees what changed while it was down", { timeout: 180_000 }, async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1ConfigMap>(kc, "/api/v1/namespaces/default/configmaps", () => core.listNamespacedConfigMap({ namespace: "default", labelSelector: "suite=informer" }), "suite=informer");
  const deleted: string[] = [];
  let errors = 0;
  let stopped = false;
  informer.on("delete", (cm) => deleted.push(cm.metadata?.name ?? ""));
  informer.on("error", () => {
    errors++;
    // client-node's informer stops on an error; start it again after a pause, as its README shows.
    setTimeout(() => {
      if (!stopped) informer.start().catch(() => undefined);
    }, 500);
  });
  const names = () => informer.list().map((c) => c.metadata?.name).sort();
  const cm = (name: string): V1ConfigMap => ({ ...configMap(name, { x: "1" }), metadata: { name, labels: { suite: "informer" } } });
  try {
    await core.createNamespacedConfigMap({ namespace: "default", body: cm("inf-a") });
    await informer.start();
    await eventually("inf-a in the informer's cache", () => names().includes("inf-a"), 30_000);

    // Stop the API server; while it is down nothing can be written; start another on the same address and etcd.
    await api.server.stop();
    await eventually("the informer noticed the API server going away", () => errors > 0, 60_000);
    second = await startApiServer({
      httpListen: "",
      logger: pino({ level: "silent" }),
      etcdServers: [api.etcd.endpoint],
      listen: api.address,
      tls: { cert: readFileSync(pki.apiserver.cert), key: readFileSync(pki.apiserver.key), clientCa: readFileSync(pki.ca.cert) },
    });
    await core.createNamespacedConfigMap({ namespace: "default", body: cm("inf-b") });
    await core.deleteNamespacedConfigMap({ name: "inf-a", namespace: "default" });
    await eventually("the informer's cache after the restart: inf-b only", () => JSON.stringify(names()) === '["inf-b"]', 90_000);
    assert.ok(deleted.includes("inf-a"), `deletes seen: ${deleted.join(", ")}`);
  } finally {
    stopped = true;
    await informer.stop();
  }
});
