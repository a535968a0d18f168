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
import { type RestTarget, restRequest } from "./rest-client.js";

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

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mk-rest-openapi-"));
  pki = (await initPki({ dir, advertiseAddress: "127.0.0.1", tokenTtlSeconds: 60 })).pki;
  await issue(pki.ca, nodeCert("a"), { subject: "/O=system:nodes/CN=system:node:a", usage: "both" });
  api = await startTestApiServer({ tls: { cert: readFileSync(pki.apiserver.cert), key: readFileSync(pki.apiserver.key), clientCa: readFileSync(pki.ca.cert) } });
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
