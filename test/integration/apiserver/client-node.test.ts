// @kubernetes/client-node, Kubernetes' own JavaScript client, against mk's HTTP edge with the cluster
// CA and a client certificate: list, create, and a watch that sees ADDED, MODIFIED and DELETED.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CoreV1Api, KubeConfig, type V1ConfigMap, Watch } from "@kubernetes/client-node";
import { initPki, type Pki } from "@mk/kubectl/cluster/pki.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { eventually } from "../../harness/wait.js";

let api: TestApiServer;
let dir: string;
let pki: Pki;
let kc: KubeConfig;

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
