import assert from "node:assert/strict";
import { test } from "node:test";
import { containerNames, buildDeployment } from "@mk/kubectl/commands/create.js";
import { LAST_APPLIED, readLastApplied, threeWayMerge, withLastApplied } from "@mk/kubectl/merge.js";
import { deepEqual, type JsonObject } from "@mk/kubectl/objects.js";
import { parseResourceArgs } from "@mk/kubectl/resources.js";
import { mergeContext, emptyConfig, resolveConnection, writeContext } from "@mk/kubectl/config.js";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("create deployment names containers as kubectl does", () => {
  assert.deepEqual(containerNames(["mk/web:v1"]), ["web"]);
  assert.deepEqual(containerNames(["127.0.0.1:5000/mk/web:v1"]), ["web"]);
  assert.deepEqual(containerNames(["nginx@sha256:abc", "my_app.x:1", "mk/web:v2"]), ["nginx", "my-app-x", "web"]);
  assert.deepEqual(containerNames(["a/web:v1", "b/web:v2"]), ["web", "web-1"]);
  const d = buildDeployment({ name: "hello", namespace: "ns", images: ["127.0.0.1:5000/mk/web:v1"], replicas: 2, port: 8080 });
  assert.deepEqual(d.metadata?.labels, { app: "hello" });
  assert.deepEqual(d.spec?.selector?.matchLabels, { app: "hello" });
  assert.deepEqual(d.spec?.template?.metadata?.labels, { app: "hello" });
  assert.equal(d.spec?.template?.spec?.containers[0]?.name, "web");
  assert.equal(d.spec?.template?.spec?.containers[0]?.ports[0]?.containerPort, 8080);
  assert.equal(d.spec?.replicas, 2);
});

const manifest = (extra: JsonObject = {}, image = "mk/web:v1"): JsonObject =>
  withLastApplied({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", labels: { app: "web" } },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image, ports: [{ containerPort: 8080 }] }] } },
      ...extra,
    },
  });

/** What the server stores after create: defaults filled in, metadata added. */
function live(m: JsonObject, replicas: number): JsonObject {
  const c = structuredClone(m) as { metadata: JsonObject; spec: { replicas?: number; template: { spec: { containers: JsonObject[] } } } } & JsonObject;
  c.metadata.uid = "u1";
  c.metadata.resourceVersion = "7";
  c.spec.replicas = replicas;
  c.spec.template.spec.containers[0]!.imagePullPolicy = "IfNotPresent";
  (c.spec.template.spec.containers[0]!.ports as JsonObject[])[0]!.protocol = "TCP";
  return c;
}

test("three-way merge: re-applying the same manifest changes nothing", () => {
  const m = manifest();
  const cur = live(m, 1);
  assert.ok(deepEqual(threeWayMerge("Deployment", readLastApplied(cur), m, cur), cur));
});

test("three-way merge: a manifest without replicas keeps a scaled count", () => {
  const m = manifest();
  const cur = live(m, 5); // mkctl scale --replicas 5 after the first apply
  const merged = threeWayMerge("Deployment", readLastApplied(cur), m, cur) as { spec: { replicas: number } };
  assert.equal(merged.spec.replicas, 5);
  assert.ok(deepEqual(merged, cur));
});

test("three-way merge: changed fields win, dropped fields go, server defaults stay", () => {
  const first = manifest({ minReadySeconds: 5 });
  const cur = live(first, 3);
  const next = manifest({}, "mk/web:v2");
  const merged = threeWayMerge("Deployment", readLastApplied(cur), next, cur) as {
    metadata: { annotations: JsonObject; uid: string };
    spec: { minReadySeconds?: number; replicas: number; template: { spec: { containers: JsonObject[] } } };
  };
  assert.equal(merged.spec.minReadySeconds, undefined);
  assert.equal(merged.spec.replicas, 3);
  const c = merged.spec.template.spec.containers[0]!;
  assert.equal(c.image, "mk/web:v2");
  assert.equal(c.imagePullPolicy, "IfNotPresent");
  assert.equal((c.ports as JsonObject[])[0]!.protocol, "TCP");
  assert.equal(merged.metadata.uid, "u1");
  assert.match(String(merged.metadata.annotations[LAST_APPLIED]), /mk\/web:v2/);
});

test("three-way merge: containers merge by name; switching to Recreate drops rollingUpdate", () => {
  const first = manifest({ strategy: { type: "RollingUpdate" } });
  const cur = live(first, 1) as JsonObject & { spec: JsonObject };
  cur.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
  const same = threeWayMerge("Deployment", readLastApplied(cur), first, cur);
  assert.ok(deepEqual(same, cur), "defaults inside strategy stay while the manifest does not change it");
  const next = manifest({ strategy: { type: "Recreate" } });
  const merged = threeWayMerge("Deployment", readLastApplied(cur), next, cur) as { spec: { strategy: JsonObject } };
  assert.deepEqual(merged.spec.strategy, { type: "Recreate" });
});

test("resource arguments: TYPE NAME, TYPE/NAME and comma lists", () => {
  assert.deepEqual(parseResourceArgs(["deploy", "a", "b"]).map((t) => [t.info.kind, t.names]), [["Deployment", ["a", "b"]]]);
  assert.deepEqual(parseResourceArgs(["deploy/a", "po/b", "po/c"]).map((t) => [t.info.kind, t.names]), [
    ["Deployment", ["a"]],
    ["Pod", ["b", "c"]],
  ]);
  assert.deepEqual(parseResourceArgs(["deploy,rs"]).map((t) => t.info.kind), ["Deployment", "ReplicaSet"]);
  assert.throws(() => parseResourceArgs(["widgets"]), /doesn't have a resource type "widgets"/);
});

test("config: writeContext merges a context and makes it current; flags override it", () => {
  const dir = mkdtempSync(join(tmpdir(), "mkctl-config-"));
  const path = join(dir, "config");
  writeContext({ name: "other", server: "10.0.0.1:6443", namespace: "team" }, path);
  writeContext({ name: "mk", server: "127.0.0.1:7443" }, path);
  const text = readFileSync(path, "utf8");
  assert.match(text, /current-context: mk/);
  assert.equal(resolveConnection({ kubeconfig: path }).server, "127.0.0.1:7443");
  const other = resolveConnection({ kubeconfig: path, context: "other" });
  assert.deepEqual([other.server, other.namespace], ["10.0.0.1:6443", "team"]);
  assert.equal(resolveConnection({ kubeconfig: path, server: "https://1.2.3.4:1", namespace: "x" }).server, "1.2.3.4:1");
  assert.equal(resolveConnection({ kubeconfig: join(dir, "missing") }).server, "127.0.0.1:6443");
  assert.throws(() => resolveConnection({ kubeconfig: path, context: "nope" }), /context "nope" does not exist/);
  const merged = mergeContext(mergeContext(emptyConfig(), { name: "a", server: "s1" }), { name: "a", server: "s2", setCurrent: false });
  assert.equal(merged.clusters.length, 1);
  assert.equal(merged.clusters[0]?.cluster.server, "s2");
});
