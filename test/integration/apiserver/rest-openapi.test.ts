// The HTTP edge's schema and request semantics: /openapi/v3 generated from the kinds table and the
// descriptors (descriptions, GVKs, merge keys, PATCH operations that leave validation to the
// server), fieldValidation Strict/Warn/Ignore, and DELETE as Kubernetes takes it (DeleteOptions,
// dryRun, deletecollection).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { KIND_NAMES, KINDS } from "@mk/proto/api";
import { type CertFiles, initPki, issue, type Pki } from "@mk/kubectl/cluster/pki.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { Etcd3 } from "etcd3";
import { type RestTarget, restRequest, restSession, watchLines } from "./rest-client.js";

let api: TestApiServer;
let dir: string;
let pki: Pki;
let admin: RestTarget;

const nodeCert = (name: string): CertFiles => ({ cert: join(dir, `node-${name}.crt`), key: join(dir, `node-${name}.key`) });

const deployment = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, labels: { app: name, suite: "openapi" } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "web", image: "mk/web:v1" }] } },
    ...extra,
  },
});

const configMap = (name: string, labels: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels }, data: { k: "v" } });
const cmPath = "/api/v1/namespaces/default/configmaps";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mk-rest-openapi-"));
  pki = (await initPki({ dir, advertiseAddress: "127.0.0.1", tokenTtlSeconds: 60 })).pki;
  await issue(pki.ca, nodeCert("a"), { subject: "/O=system:nodes/CN=system:node:a", usage: "both" });
  api = await startTestApiServer({ bookmarkIntervalMs: 300, tls: { cert: readFileSync(pki.apiserver.cert), key: readFileSync(pki.apiserver.key), clientCa: readFileSync(pki.ca.cert) } });
  admin = { address: api.address, ca: pki.ca.cert, client: pki.admin };
});

after(async () => {
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface OpenApiDoc {
  paths: { [path: string]: { [method: string]: { parameters?: { name: string; in: string }[]; requestBody?: unknown; "x-kubernetes-group-version-kind"?: { group: string; version: string; kind: string } } } };
  components: { schemas: { [name: string]: { description?: string; properties?: { [field: string]: Record<string, unknown> }; "x-kubernetes-group-version-kind"?: unknown[] } } };
}

test("/openapi/v3: an index entry per group version of the kinds table, each document with its kinds' GVKs", async () => {
  const index = await restRequest(admin, "GET", "/openapi/v3");
  assert.equal(index.status, 200);
  const paths = index.body.paths as { [gv: string]: { serverRelativeURL: string } };
  const groupVersions = new Set(KIND_NAMES.map((k) => (KINDS[k].apiVersion.includes("/") ? `apis/${KINDS[k].apiVersion}` : `api/${KINDS[k].apiVersion}`)));
  assert.deepEqual(Object.keys(paths).sort(), [...groupVersions].sort());
  for (const k of KIND_NAMES) {
    const info = KINDS[k];
    const gv = info.apiVersion.includes("/") ? `apis/${info.apiVersion}` : `api/${info.apiVersion}`;
    const url = paths[gv]?.serverRelativeURL ?? "";
    assert.match(url, new RegExp(`^/openapi/v3/${gv}\\?hash=[0-9A-F]{128}$`));
    const doc = (await restRequest(admin, "GET", url)).body as unknown as OpenApiDoc;
    const schema = Object.values(doc.components.schemas).find((s) =>
      (s["x-kubernetes-group-version-kind"] ?? []).some((g) => JSON.stringify(g) === JSON.stringify({ group: info.group, kind: k, version: info.apiVersion.split("/").pop() })),
    );
    assert.ok(schema, `${gv} has a schema for ${k}`);
    assert.ok(schema.properties?.metadata, `${k} has metadata`);
  }
});

test("/openapi/v3/apis/apps/v1: Kubernetes' descriptions, merge keys and list-map keys; PATCH with fieldValidation and no requestBody", async () => {
  const doc = (await restRequest(admin, "GET", "/openapi/v3/apis/apps/v1")).body as unknown as OpenApiDoc;
  const schemas = doc.components.schemas;
  const strategy = schemas["io.k8s.api.apps.v1.DeploymentSpec"]?.properties?.strategy;
  assert.equal(strategy?.description, "The deployment strategy to use to replace existing pods with new ones.");
  assert.deepEqual(strategy?.allOf, [{ $ref: "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy" }]);
  assert.match(String(schemas["io.k8s.api.apps.v1.RollingUpdateDeployment"]?.properties?.maxSurge?.description), /^The maximum number of pods that can be scheduled above the desired number of pods/);
  assert.deepEqual(schemas["io.k8s.api.apps.v1.DeploymentStrategy"]?.properties?.type?.enum, ["Recreate", "RollingUpdate"]);
  const containers = schemas["io.k8s.api.core.v1.PodSpec"]?.properties?.containers;
  assert.equal(containers?.["x-kubernetes-patch-merge-key"], "name");
  assert.equal(containers?.["x-kubernetes-patch-strategy"], "merge");
  assert.deepEqual(containers?.["x-kubernetes-list-map-keys"], ["name"]);
  const container = schemas["io.k8s.api.core.v1.Container"]?.properties;
  assert.equal(container?.env?.["x-kubernetes-patch-merge-key"], "name");
  assert.equal(container?.volumeMounts?.["x-kubernetes-patch-merge-key"], "mountPath");
  assert.equal(container?.ports?.["x-kubernetes-patch-merge-key"], "containerPort");
  assert.equal(schemas["io.k8s.api.core.v1.PodSpec"]?.properties?.volumes?.["x-kubernetes-patch-merge-key"], "name");

  const item = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
  const patch = item?.patch;
  assert.deepEqual(patch?.["x-kubernetes-group-version-kind"], { group: "apps", kind: "Deployment", version: "v1" });
  assert.ok(patch?.parameters?.some((p) => p.name === "fieldValidation" && p.in === "query"), "PATCH lists fieldValidation");
  assert.equal(patch?.requestBody, undefined, "no requestBody on PATCH: kubectl computes its patches from its own types");
  assert.ok(doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments"]?.delete, "deletecollection");
  assert.equal((await restRequest(admin, "GET", "/openapi/v3/apis/nope/v1")).status, 404);
});

test("fieldValidation=Strict: an unknown field refused with 400 naming it, nothing written", async () => {
  const bad = deployment("strict", { replica: 2 });
  const r = await restRequest(admin, "POST", "/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict", { body: bad });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.reason, "BadRequest");
  assert.equal(r.body.message, 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"');
  assert.equal((await restRequest(admin, "GET", "/apis/apps/v1/namespaces/default/deployments/strict")).status, 404);
  // PUT too.
  const created = await restRequest(admin, "POST", "/apis/apps/v1/namespaces/default/deployments", { body: deployment("strict") });
  assert.equal(created.status, 201, created.text);
  const put = await restRequest(admin, "PUT", "/apis/apps/v1/namespaces/default/deployments/strict?fieldValidation=Strict", { body: { ...created.body, spec: { ...(created.body.spec as object), pause: true } } });
  assert.equal(put.status, 400, put.text);
  assert.match(String(put.body.message), /unknown field "spec\.pause"/);
});

test("fieldValidation=Warn (the server's default) accepts and warns per field; Ignore drops silently; a wrong type is refused in every mode", async () => {
  const warned = await restRequest(admin, "POST", "/apis/apps/v1/namespaces/default/deployments", { body: deployment("warned", { replica: 2 }) });
  assert.equal(warned.status, 201, warned.text);
  assert.deepEqual(warned.headers.warning, '299 - "unknown field \\"spec.replica\\""');
  assert.equal((warned.body.spec as { replica?: unknown }).replica, undefined);

  const ignored = await restRequest(admin, "POST", "/apis/apps/v1/namespaces/default/deployments?fieldValidation=Ignore", { body: deployment("ignored", { replica: 2 }) });
  assert.equal(ignored.status, 201, ignored.text);
  assert.equal(ignored.headers.warning, undefined);

  for (const mode of ["Strict", "Warn", "Ignore"]) {
    const typed = await restRequest(admin, "POST", `/apis/apps/v1/namespaces/default/deployments?fieldValidation=${mode}`, { body: deployment(`typed-${mode.toLowerCase()}`, { replicas: "two" }) });
    assert.equal(typed.status, 422, `${mode}: ${typed.text}`);
    assert.deepEqual((typed.body.details as { causes: { field: string }[] }).causes.map((c) => c.field), ["spec.replicas"]);
  }
  const unsupported = await restRequest(admin, "POST", "/apis/apps/v1/namespaces/default/deployments?fieldValidation=Loose", { body: deployment("loose") });
  assert.equal(unsupported.status, 400);
});

test("DELETE takes DeleteOptions from the body kubectl sends: propagationPolicy Orphan and Foreground leave their finalizers", async () => {
  for (const [policy, finalizer] of [["Orphan", "orphan"], ["Foreground", "foregroundDeletion"]] as const) {
    const name = `del-${policy.toLowerCase()}`;
    assert.equal((await restRequest(admin, "POST", "/apis/apps/v1/namespaces/default/deployments", { body: deployment(name) })).status, 201);
    const r = await restRequest(admin, "DELETE", `/apis/apps/v1/namespaces/default/deployments/${name}`, { body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: policy } });
    assert.equal(r.status, 202, r.text);
    const meta = r.body.metadata as { finalizers?: string[]; deletionTimestamp?: string };
    assert.deepEqual(meta.finalizers, [finalizer]);
    assert.ok(meta.deletionTimestamp);
  }
  const bad = await restRequest(admin, "DELETE", "/apis/apps/v1/namespaces/default/deployments/strict", { body: { kind: "DeleteOptions", propagationPolicy: "Sometimes" } });
  assert.equal(bad.status, 422, bad.text);
  assert.equal((await restRequest(admin, "GET", "/apis/apps/v1/namespaces/default/deployments/strict")).status, 200, "a refused delete deletes nothing");
});

test("dryRun=All on POST, PUT and DELETE answers as the write would and writes nothing; another dryRun value is refused", async () => {
  const created = await restRequest(admin, "POST", `${cmPath}?dryRun=All`, { body: configMap("dry", {}) });
  assert.equal(created.status, 201, created.text);
  assert.equal((created.body.metadata as { name: string }).name, "dry");
  assert.equal((await restRequest(admin, "GET", `${cmPath}/dry`)).status, 404);

  const real = await restRequest(admin, "POST", cmPath, { body: configMap("dry", {}) });
  assert.equal(real.status, 201);
  const put = await restRequest(admin, "PUT", `${cmPath}/dry?dryRun=All`, { body: { ...real.body, data: { k: "changed" } } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.body.data, { k: "changed" });
  assert.deepEqual((await restRequest(admin, "GET", `${cmPath}/dry`)).body.data, { k: "v" });

  const del = await restRequest(admin, "DELETE", `${cmPath}/dry`, { body: { kind: "DeleteOptions", apiVersion: "v1", dryRun: ["All"] } });
  assert.equal(del.status, 200, del.text);
  assert.equal((await restRequest(admin, "GET", `${cmPath}/dry`)).status, 200, "still there after a dry-run delete");
  assert.equal((await restRequest(admin, "DELETE", `${cmPath}/dry?dryRun=Some`)).status, 400);
});

test("deletecollection deletes what the label selector matches and lists it", async () => {
  for (const [name, team] of [["dc-a", "red"], ["dc-b", "red"], ["dc-c", "blue"]] as const) {
    assert.equal((await restRequest(admin, "POST", cmPath, { body: configMap(name, { team }) })).status, 201);
  }
  const r = await restRequest(admin, "DELETE", `${cmPath}?labelSelector=team%3Dred`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.kind, "ConfigMapList");
  assert.deepEqual((r.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name).sort(), ["dc-a", "dc-b"]);
  const left = await restRequest(admin, "GET", `${cmPath}?labelSelector=team`);
  assert.deepEqual((left.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ["dc-c"]);
});

test("field selectors over HTTP: metadata.name, metadata.namespace; an unknown field is refused naming it", async () => {
  const byName = await restRequest(admin, "GET", `${cmPath}?fieldSelector=metadata.name%3Ddc-c`);
  assert.deepEqual((byName.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ["dc-c"]);
  const byNs = await restRequest(admin, "GET", "/api/v1/configmaps?fieldSelector=metadata.namespace%3Dkube-nothing");
  assert.deepEqual(byNs.body.items, []);
  const bad = await restRequest(admin, "GET", `${cmPath}?fieldSelector=spec.color%3Dred`);
  assert.equal(bad.status, 422, bad.text);
  assert.match(String(bad.body.message), /"spec\.color" is not a known field selector/);
});

test("a single object watched by name from resourceVersion 0 starts with a synthetic ADDED; bookmarks when allowed", async () => {
  const events = await watchLines(admin, `${cmPath}?watch=true&fieldSelector=metadata.name%3Ddc-c&resourceVersion=0&allowWatchBookmarks=true`, (evs) =>
    evs.some((e) => e.type === "BOOKMARK") ? evs : undefined,
  );
  const first = events[0];
  assert.equal(first?.type, "ADDED");
  assert.equal((first?.object.metadata as { name?: string } | undefined)?.name, "dc-c");
  assert.ok(events.every((e) => e.type === "BOOKMARK" || (e.object.metadata as { name: string }).name === "dc-c"), "only the named object");
  const bookmark = events.find((e) => e.type === "BOOKMARK");
  assert.equal(bookmark?.object.kind, "ConfigMap");
  assert.match(String((bookmark?.object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion), /^\d+$/);
});

test("a watch from a compacted resourceVersion: 200, then an ERROR event carrying 410 Expired", async () => {
  const first = await restRequest(admin, "POST", cmPath, { body: configMap("old", {}) });
  const old = (first.body.metadata as { resourceVersion: string }).resourceVersion;
  for (let i = 0; i < 3; i++) {
    const cur = await restRequest(admin, "GET", `${cmPath}/old`);
    assert.equal((await restRequest(admin, "PUT", `${cmPath}/old`, { body: { ...cur.body, data: { i: String(i) } } })).status, 200);
  }
  const etcd = new Etcd3({ hosts: api.etcd.endpoint });
  try {
    const rev = (await etcd.get("anything").exec()).header.revision;
    await etcd.kv.compact({ revision: rev, physical: true });
  } finally {
    etcd.close();
  }
  const events = await watchLines(admin, `${cmPath}?watch=true&resourceVersion=${old}`, (evs) => (evs.length > 0 ? evs : undefined));
  assert.equal(events[0]?.type, "ERROR", JSON.stringify(events));
  assert.equal(events[0]?.object.kind, "Status");
  assert.equal(events[0]?.object.code, 410);
  assert.equal(events[0]?.object.reason, "Expired");
});

test("SelfSubjectAccessReview: mk's authorizer answers for the requesting identity, JSON or Kubernetes protobuf", async () => {
  const review = (resourceAttributes: Record<string, string>) => ({ kind: "SelfSubjectAccessReview", apiVersion: "authorization.k8s.io/v1", spec: { resourceAttributes } });
  const path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
  const asAdmin = await restRequest(admin, "POST", path, { body: review({ verb: "create", resource: "pods", namespace: "default" }) });
  assert.equal(asAdmin.status, 201, asAdmin.text);
  assert.deepEqual(asAdmin.body.status, { allowed: true });
  const node: RestTarget = { ...admin, client: nodeCert("a") };
  const denied = await restRequest(node, "POST", path, { body: review({ verb: "create", resource: "pods", namespace: "default" }) });
  assert.equal((denied.body.status as { allowed: boolean }).allowed, false);
  assert.match(String((denied.body.status as { reason: string }).reason), /system:node:a/);
  const own = await restRequest(node, "POST", path, { body: review({ verb: "update", resource: "nodes", name: "a" }) });
  assert.deepEqual(own.body.status, { allowed: true });
  const other = await restRequest(node, "POST", path, { body: review({ verb: "patch", resource: "nodes", name: "b" }) });
  assert.equal((other.body.status as { allowed: boolean }).allowed, false);
  const unknownVerb = await restRequest(node, "POST", path, { body: review({ verb: "escalate", resource: "pods" }) });
  assert.equal((unknownVerb.body.status as { allowed: boolean }).allowed, false);

  // kubectl's typed client posts it as protobuf: k8s\0 + Unknown{typeMeta, raw}.
  const str = (num: number, s: string) => {
    const b = Buffer.from(s);
    return Buffer.concat([Buffer.from([(num << 3) | 2, b.length]), b]);
  };
  const msg = (num: number, inner: Buffer) => Buffer.concat([Buffer.from([(num << 3) | 2, inner.length]), inner]);
  const raw = msg(2, msg(1, Buffer.concat([str(1, "default"), str(2, "create"), str(5, "pods")])));
  const envelope = Buffer.concat([Buffer.from("k8s\0"), msg(1, Buffer.concat([str(1, "authorization.k8s.io/v1"), str(2, "SelfSubjectAccessReview")])), msg(2, raw)]);
  const conn = await import("./rest-client.js").then((m) => m.restSession(node));
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      const stream = conn.request({ ":method": "POST", ":path": path, "content-type": "application/vnd.kubernetes.protobuf", accept: "application/json" });
      let text = "";
      stream.on("data", (c: Buffer) => (text += c.toString("utf8")));
      stream.on("end", () => resolve(text));
      stream.on("error", reject);
      stream.end(envelope);
    });
    const body = JSON.parse(reply) as { spec: unknown; status: { allowed: boolean } };
    assert.deepEqual(body.spec, { resourceAttributes: { namespace: "default", verb: "create", resource: "pods" } });
    assert.equal(body.status.allowed, false);
  } finally {
    conn.close();
  }
  const groups = await restRequest(admin, "GET", "/apis/authorization.k8s.io/v1");
  assert.ok((groups.body.resources as { name: string }[]).some((r) => r.name === "selfsubjectaccessreviews"));
});

test("SelfSubjectRulesReview (kubectl auth can-i --list): everything for the admin; a node's own rules, incomplete, from JSON or protobuf", async () => {
  const path = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";
  const asAdmin = await restRequest(admin, "POST", path, { body: { kind: "SelfSubjectRulesReview", apiVersion: "authorization.k8s.io/v1", spec: { namespace: "default" } } });
  assert.equal(asAdmin.status, 201, asAdmin.text);
  assert.deepEqual(asAdmin.body.status, { resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }], nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }], incomplete: false });
  // kubectl's typed client posts it as protobuf: k8s\0 + Unknown{typeMeta, raw{spec{namespace}}}.
  const msg = (num: number, inner: Buffer) => Buffer.concat([Buffer.from([(num << 3) | 2, inner.length]), inner]);
  const str = (num: number, s: string) => msg(num, Buffer.from(s));
  const envelope = Buffer.concat([Buffer.from("k8s\0"), msg(1, Buffer.concat([str(1, "authorization.k8s.io/v1"), str(2, "SelfSubjectRulesReview")])), msg(2, msg(2, str(1, "mk-node-lease")))]);
  const node: RestTarget = { ...admin, client: nodeCert("a") };
  const conn = restSession(node);
  let reply = "";
  try {
    reply = await new Promise<string>((resolve, reject) => {
      const stream = conn.request({ ":method": "POST", ":path": path, "content-type": "application/vnd.kubernetes.protobuf", accept: "application/json" });
      let text = "";
      stream.on("data", (c: Buffer) => (text += c.toString("utf8")));
      stream.on("end", () => resolve(text));
      stream.on("error", reject);
      stream.end(envelope);
    });
  } finally {
    conn.close();
  }
  const body = JSON.parse(reply) as { spec: unknown; status: { resourceRules: { verbs: string[]; apiGroups: string[]; resources: string[]; resourceNames?: string[] }[]; incomplete: boolean; evaluationError: string } };
  assert.deepEqual(body.spec, { namespace: "mk-node-lease" }, reply);
  const rule = (resource: string, verb = "get") => body.status.resourceRules.find((r) => r.resources.includes(resource) && r.verbs.includes(verb));
  assert.deepEqual(rule("nodes", "update"), { verbs: ["create", "update", "patch"], apiGroups: [""], resources: ["nodes"], resourceNames: ["a"] });
  assert.deepEqual(rule("leases", "update")?.resourceNames, ["a"], "its own Lease, in mk-node-lease");
  assert.deepEqual(rule("pods")?.verbs, ["get", "list", "watch"]);
  assert.equal(rule("deployments"), undefined);
  assert.equal(body.status.incomplete, true);
  assert.match(body.status.evaluationError, /pods bound to node "a"/);
  const groups = await restRequest(admin, "GET", "/apis/authorization.k8s.io/v1");
  assert.ok((groups.body.resources as { name: string }[]).some((r) => r.name === "selfsubjectrulesreviews"));
  const wrong = await restRequest(admin, "POST", path, { body: { kind: "SelfSubjectRulesReview", spec: { namespace: 7 } } });
  assert.equal(wrong.status, 400);
  assert.match(String(wrong.body.message), /spec\.namespace/);
});

test("/openapi/v2 (kubectl 1.27 and 1.28 read it as protobuf): each kind's PATCH with its GVK and fieldValidation", async () => {
  const r = await restRequest(admin, "GET", "/openapi/v2", { accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" });
  assert.equal(r.status, 200);
  assert.equal(r.headers["content-type"], "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
  // Strings inside the protobuf: the path, the GVK extension's YAML and the parameter's name.
  assert.ok(r.text.includes("/apis/apps/v1/namespaces/{namespace}/deployments/{name}"));
  assert.ok(r.text.includes('x-kubernetes-group-version-kind') && r.text.includes('group: "apps"\nkind: Deployment\nversion: v1\n'));
  assert.ok(r.text.includes("fieldValidation"));
  assert.ok(r.text.includes("/api/v1/nodes/{name}"));
});
