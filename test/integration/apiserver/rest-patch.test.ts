// PATCH (JSON patch, merge patch, strategic merge patch) over HTTP and gRPC, and the subresources
// over HTTP: status, scale, binding, eviction (counted in /metrics) and log's errors; discovery lists them.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as http2Connect } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { after, before, test } from "node:test";
import { type Deployment, emptyMeta } from "@mk/proto";
import { type Clientset, ConflictError, connect, InvalidError } from "@mk/proto/client";
import { type CertFiles, initPki, issue, type Pki } from "@mk/kubectl/cluster/pki.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { nodeObject } from "../../harness/fake-kubelet.js";
import { deployment, failure, pod } from "./fixtures.js";

let api: TestApiServer;
let dir: string;
let pki: Pki;
let admin: Clientset;

interface Reply {
  status: number;
  text: string;
  body: Record<string, unknown>;
}

const nodeCert = (name: string): CertFiles => ({ cert: join(dir, `node-${name}.crt`), key: join(dir, `node-${name}.key`) });

async function request(method: string, path: string, opts: { body?: unknown; contentType?: string; as?: CertFiles } = {}): Promise<Reply> {
  const [host = "", port = ""] = api.address.split(":");
  const conn = http2Connect(`https://${api.address}`, {
    createConnection: () =>
      tlsConnect({
        host,
        port: Number(port),
        servername: "localhost",
        ca: readFileSync(pki.ca.cert),
        ALPNProtocols: ["h2", "http/1.1"],
        cert: readFileSync((opts.as ?? pki.admin).cert),
        key: readFileSync((opts.as ?? pki.admin).key),
      }),
  });
  try {
    return await new Promise<Reply>((resolve, reject) => {
      conn.on("error", reject);
      const headers: Record<string, string> = { ":method": method, ":path": path, accept: "application/json" };
      if (opts.body !== undefined) headers["content-type"] = opts.contentType ?? "application/json";
      const stream = conn.request(headers);
      let status = 0;
      stream.on("response", (h) => {
        status = Number(h[":status"]);
      });
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // a log is text
        }
        resolve({ status, text, body });
      });
      stream.on("error", reject);
      stream.end(opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body));
    });
  } finally {
    conn.close();
  }
}

const SMP = "application/strategic-merge-patch+json";
const MERGE = "application/merge-patch+json";
const JSONPATCH = "application/json-patch+json";

/** A Deployment with two containers, web and side. */
function twoContainers(name: string): Deployment {
  const d = deployment(name);
  const web = d.spec?.template?.spec?.containers[0];
  if (!web || !d.spec?.template?.spec) throw new Error("fixture");
  d.spec.template.spec.containers.push({ ...web, name: "side", image: "mk/busybox:1", ports: [] });
  return d;
}

const DEPLOY = "/apis/apps/v1/namespaces/default/deployments";

function containers(body: Record<string, unknown>): { name: string; image: string }[] {
  const spec = body.spec as { template: { spec: { containers: { name: string; image: string }[] } } };
  return spec.template.spec.containers;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mk-rest-patch-"));
  pki = (await initPki({ dir, advertiseAddress: "127.0.0.1", tokenTtlSeconds: 60 })).pki;
  for (const n of ["n1", "n2"]) await issue(pki.ca, nodeCert(n), { subject: `/O=system:nodes/CN=system:node:${n}`, usage: "both" });
  api = await startTestApiServer({ httpListen: "127.0.0.1:0", tls: { cert: readFileSync(pki.apiserver.cert), key: readFileSync(pki.apiserver.key), clientCa: readFileSync(pki.ca.cert) } });
  admin = connect({ server: api.address, tls: { ca: readFileSync(pki.ca.cert), cert: readFileSync(pki.admin.cert), key: readFileSync(pki.admin.key) }, timeoutMs: 10_000 });
  await admin.nodes.create(nodeObject({ name: "n1", ip: "127.0.0.9" }));
});

after(async () => {
  admin?.close();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("strategic merge patch over HTTP changes one container of two; the other stays, generation bumps", async () => {
  const created = await admin.deployments.create(twoContainers("smp"));
  const r = await request("PATCH", `${DEPLOY}/smp`, { contentType: SMP, body: { spec: { template: { spec: { containers: [{ name: "side", image: "mk/busybox:2" }] } } } } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(
    containers(r.body).map((c) => [c.name, c.image]),
    [
      ["web", "mk/web:v1"],
      ["side", "mk/busybox:2"],
    ],
  );
  const meta = r.body.metadata as { generation: number; resourceVersion: string };
  assert.equal(meta.generation, (created.metadata?.generation ?? 0) + 1);
  // The same change as a merge patch replaces the list (RFC 7386).
  const m = await request("PATCH", `${DEPLOY}/smp`, { contentType: MERGE, body: { spec: { template: { spec: { containers: [{ name: "web", image: "mk/web:v2" }] } } } } });
  assert.equal(m.status, 200, m.text);
  assert.deepEqual(
    containers(m.body).map((c) => c.name),
    ["web"],
  );
});

test("JSON patch over HTTP; a failed test is 422 naming the operation; nothing is written", async () => {
  await admin.deployments.create(deployment("jp", { replicas: 2 }));
  const ok = await request("PATCH", `${DEPLOY}/jp`, {
    contentType: JSONPATCH,
    body: [
      { op: "test", path: "/spec/replicas", value: 2 },
      { op: "replace", path: "/spec/replicas", value: 4 },
      { op: "add", path: "/metadata/labels", value: { tier: "front" } },
    ],
  });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((ok.body.spec as { replicas: number }).replicas, 4);
  const before = await admin.deployments.get("jp", "default");
  const bad = await request("PATCH", `${DEPLOY}/jp`, { contentType: JSONPATCH, body: [{ op: "test", path: "/spec/replicas", value: 2 }] });
  assert.equal(bad.status, 422, bad.text);
  assert.equal(bad.body.reason, "Invalid");
  assert.match(String(bad.body.message), /\[0\] test \/spec\/replicas: .*test failed/);
  assert.equal((await admin.deployments.get("jp", "default")).metadata?.resourceVersion, before.metadata?.resourceVersion);
});

test("bad patches are refused naming the path: unknown directive 400, unknown field 422, apply-patch 415, invalid value 422", async () => {
  await admin.deployments.create(deployment("bad"));
  const directive = await request("PATCH", `${DEPLOY}/bad`, { contentType: SMP, body: { spec: { template: { spec: { $frob: 1 } } } } });
  assert.equal(directive.status, 400, directive.text);
  assert.match(String(directive.body.message), /spec\.template\.spec\.\$frob: unknown directive/);
  const unknown = await request("PATCH", `${DEPLOY}/bad`, { contentType: MERGE, body: { spec: { replica: 2 } } });
  assert.equal(unknown.status, 422, unknown.text);
  assert.match(String(unknown.body.message), /spec\.replica/);
  const negative = await request("PATCH", `${DEPLOY}/bad`, { contentType: MERGE, body: { spec: { replicas: -1 } } });
  assert.equal(negative.status, 422, negative.text);
  assert.deepEqual((negative.body.details as { causes: { field: string }[] }).causes.map((c) => c.field), ["spec.replicas"]);
  const ssa = await request("PATCH", `${DEPLOY}/bad`, { contentType: "application/apply-patch+yaml", body: "spec: {}" });
  assert.equal(ssa.status, 415, ssa.text);
  assert.match(String(ssa.body.message), /server-side apply/);
  const rename = await request("PATCH", `${DEPLOY}/bad`, { contentType: MERGE, body: { metadata: { name: "other" } } });
  assert.equal(rename.status, 400, rename.text);
});

test("gRPC Patch: three types; a stale resourceVersion in the patch is a conflict; without one, racing patches all land", async () => {
  const d = await admin.deployments.create(twoContainers("grpc-patch"));
  const out = await admin.deployments.patch("grpc-patch", "default", "strategic", { spec: { template: { spec: { containers: [{ name: "web", image: "mk/web:v2" }] } } } });
  assert.deepEqual(
    out.spec?.template?.spec?.containers.map((c) => [c.name, c.image]),
    [
      ["web", "mk/web:v2"],
      ["side", "mk/busybox:1"],
    ],
  );
  const stale = await failure(() => admin.deployments.patch("grpc-patch", "default", "merge", { metadata: { resourceVersion: d.metadata?.resourceVersion }, spec: { replicas: 5 } }));
  assert.ok(stale instanceof ConflictError, String(stale));
  const bad = await failure(() => admin.deployments.patch("grpc-patch", "default", "json", [{ op: "nope", path: "/x" }]));
  assert.match(bad.message, /unsupported operation "nope"/);
  // Ten patches at once, each adding its own label: every one is retried past the others' writes.
  await Promise.all(Array.from({ length: 10 }, (_, i) => admin.deployments.patch("grpc-patch", "default", "merge", { metadata: { labels: { [`l${i}`]: "x" } } })));
  const labels = (await admin.deployments.get("grpc-patch", "default")).metadata?.labels ?? {};
  for (let i = 0; i < 10; i++) assert.equal(labels[`l${i}`], "x", `label l${i}`);
  const invalid = await failure(() => admin.deployments.patch("grpc-patch", "default", "merge", { spec: { replicas: -2 } }));
  assert.ok(invalid instanceof InvalidError);
  assert.equal(invalid.fields[0]?.field, "spec.replicas");
});

test("status: GET, PUT and PATCH change status only", async () => {
  await admin.deployments.create(deployment("st", { replicas: 1 }));
  const got = await request("GET", `${DEPLOY}/st/status`);
  assert.equal(got.status, 200);
  const patched = await request("PATCH", `${DEPLOY}/st/status`, { contentType: MERGE, body: { spec: { replicas: 9 }, status: { replicas: 7, observedGeneration: 1 } } });
  assert.equal(patched.status, 200, patched.text);
  assert.equal((patched.body.status as { replicas: number }).replicas, 7);
  assert.equal((patched.body.spec as { replicas: number }).replicas, 1, "spec is not the status subresource's");
  const body = { ...patched.body, status: { replicas: 3 } };
  const put = await request("PUT", `${DEPLOY}/st/status`, { body });
  assert.equal(put.status, 200, put.text);
  assert.equal((put.body.status as { replicas: number }).replicas, 3);
  // A patch of the object ignores status (it has a subresource of its own).
  const main = await request("PATCH", `${DEPLOY}/st`, { contentType: MERGE, body: { status: { replicas: 99 } } });
  assert.equal((main.body.status as { replicas: number }).replicas, 3);
});

test("scale: GET, PUT and PATCH of autoscaling/v1 Scale", async () => {
  await admin.deployments.create(deployment("sc", { replicas: 2 }));
  const got = await request("GET", `${DEPLOY}/sc/scale`);
  assert.equal(got.status, 200, got.text);
  assert.equal(got.body.kind, "Scale");
  assert.equal(got.body.apiVersion, "autoscaling/v1");
  assert.deepEqual(got.body.spec, { replicas: 2 });
  assert.equal((got.body.status as { selector: string }).selector, "app=sc");
  const put = await request("PUT", `${DEPLOY}/sc/scale`, { body: { ...got.body, spec: { replicas: 4 } } });
  assert.equal(put.status, 200, put.text);
  const stale = await request("PUT", `${DEPLOY}/sc/scale`, { body: { ...got.body, spec: { replicas: 6 } } });
  assert.equal(stale.status, 409, "the Scale's resourceVersion is a precondition");
  const patched = await request("PATCH", `${DEPLOY}/sc/scale`, { contentType: MERGE, body: { spec: { replicas: 5 } } });
  assert.equal(patched.status, 200, patched.text);
  assert.equal((await admin.deployments.get("sc", "default")).spec?.replicas, 5);
  const rs = await request("GET", "/apis/apps/v1/namespaces/default/replicasets/none/scale");
  assert.equal(rs.status, 404);
});

test("binding and eviction: POST a Binding binds, POST an Eviction deletes gracefully and is counted", async () => {
  const metricsBefore = await evictions();
  await admin.pods.create(pod("unbound"));
  const bind = await request("POST", "/api/v1/namespaces/default/pods/unbound/binding", { body: { apiVersion: "v1", kind: "Binding", metadata: { name: "unbound" }, target: { kind: "Node", name: "n1" } } });
  assert.equal(bind.status, 201, bind.text);
  assert.equal((await admin.pods.get("unbound", "default")).spec?.nodeName, "n1");
  const evict = await request("POST", "/api/v1/namespaces/default/pods/unbound/eviction", { body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "unbound", namespace: "default" } } });
  assert.equal(evict.status, 201, evict.text);
  const p = await admin.pods.get("unbound", "default");
  assert.ok(p.metadata?.deletionTimestamp, "a bound pod waits for its kubelet: deletion is pending");
  const missing = await request("POST", "/api/v1/namespaces/default/pods/nope/eviction", { body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "nope" } } });
  assert.equal(missing.status, 404);
  const after = await evictions();
  assert.equal(after.evicted - metricsBefore.evicted, 1);
  assert.equal(after.refused - metricsBefore.refused, 1);
});

test("log: an unbound pod's log is a 400 Status; a bad tailLines is refused", async () => {
  await admin.pods.create({ ...pod("nolog"), metadata: emptyMeta({ name: "nolog", namespace: "default" }) });
  const r = await request("GET", "/api/v1/namespaces/default/pods/nolog/log?follow=true");
  assert.equal(r.status, 400, r.text);
  assert.match(String(r.body.message), /does not have a host assigned/);
  const tail = await request("GET", "/api/v1/namespaces/default/pods/nolog/log?tailLines=x");
  assert.equal(tail.status, 400);
  assert.match(String(tail.body.message), /tailLines/);
});

test("discovery lists the subresources: status, scale, binding, eviction (policy/v1), log", async () => {
  const core = await request("GET", "/api/v1");
  const names = (core.body.resources as { name: string; group?: string; version?: string }[]).map((r) => r.name);
  for (const n of ["pods/status", "pods/binding", "pods/eviction", "pods/log"]) assert.ok(names.includes(n), n);
  const eviction = (core.body.resources as { name: string; group?: string; version?: string; kind: string }[]).find((r) => r.name === "pods/eviction");
  assert.deepEqual([eviction?.group, eviction?.version, eviction?.kind], ["policy", "v1", "Eviction"]);
  const apps = await request("GET", "/apis/apps/v1");
  const appsNames = (apps.body.resources as { name: string }[]).map((r) => r.name);
  assert.ok(appsNames.includes("deployments/scale") && appsNames.includes("replicasets/scale"));
});

/** mk_apiserver_pod_evictions_total by outcome, from the server's /metrics. */
async function evictions(): Promise<{ evicted: number; refused: number }> {
  const text = await (await fetch(`http://127.0.0.1:${api.server.httpPort}/metrics`)).text();
  const read = (outcome: string) => Number(new RegExp(`mk_apiserver_pod_evictions_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { evicted: read("evicted"), refused: read("refused") };
}

test("node restriction holds for patches: a node patches the status of its own pods only, and no spec", async () => {
  await admin.pods.create(pod("on-n1", { nodeName: "n1" }));
  const path = "/api/v1/namespaces/default/pods/on-n1";
  const own = await request("PATCH", `${path}/status`, { contentType: SMP, as: nodeCert("n1"), body: { status: { message: "hello" } } });
  assert.equal(own.status, 200, own.text);
  const other = await request("PATCH", `${path}/status`, { contentType: SMP, as: nodeCert("n2"), body: { status: { message: "mine" } } });
  assert.equal(other.status, 403, other.text);
  assert.match(String(other.body.message), /not bound to node "n2"/);
  const spec = await request("PATCH", path, { contentType: MERGE, as: nodeCert("n1"), body: { metadata: { labels: { x: "y" } } } });
  assert.equal(spec.status, 403, spec.text);
  await admin.pods.patch("on-n1", "default", "merge", { status: { message: "admin" } }, { subresource: "status" });
  assert.equal((await admin.pods.get("on-n1", "default")).status?.message, "admin");
});
