// The Kubernetes HTTP/JSON API on the gRPC address: same TLS, same certificates and identities
// (node restriction included), same handlers; errors as metav1.Status with HTTP code and reason.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as http2Connect } from "node:http2";
import { tmpdir } from "node:os";
import { connect as tlsConnect } from "node:tls";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { emptyMeta, Pod, Secret } from "@mk/proto";
import { connect, type Clientset } from "@mk/proto/client";
import { type CertFiles, initPki, issue, type Pki } from "@mk/kubectl/cluster/pki.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { nodeObject } from "../../harness/fake-kubelet.js";
import { pod } from "./fixtures.js";

let api: TestApiServer;
let dir: string;
let pki: Pki;
let admin: Clientset;

const nodeCert = (name: string): CertFiles => ({ cert: join(dir, `node-${name}.crt`), key: join(dir, `node-${name}.key`) });

interface Reply {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

/** An HTTP/2 session to the API server, offering ALPN h2 and http/1.1 as kubectl's Go client does. */
function session(files: CertFiles | undefined) {
  const [host = "", port = ""] = api.address.split(":");
  // node:http2's connect offers only "h2" (gRPC's offer); dial TLS ourselves to offer what kubectl does.
  return http2Connect(`https://${api.address}`, {
    createConnection: () =>
      tlsConnect({
        host,
        port: Number(port),
        servername: "localhost",
        ca: readFileSync(pki.ca.cert),
        ALPNProtocols: ["h2", "http/1.1"],
        ...(files ? { cert: readFileSync(files.cert), key: readFileSync(files.key) } : {}),
      }),
  });
}

/** One request over HTTP/2, offering ALPN h2 and http/1.1 as kubectl's Go client does. */
async function request(files: CertFiles | undefined, method: string, path: string, opts: { body?: unknown; accept?: string } = {}): Promise<Reply> {
  const conn = session(files);
  try {
    return await new Promise<Reply>((resolve, reject) => {
      conn.on("error", reject);
      const headers: Record<string, string> = { ":method": method, ":path": path, accept: opts.accept ?? "application/json" };
      if (opts.body !== undefined) headers["content-type"] = "application/json";
      const stream = conn.request(headers);
      let status = 0;
      let contentType = "";
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        contentType = String(h["content-type"] ?? "");
      });
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => resolve({ status, contentType, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown> }));
      stream.on("error", reject);
      stream.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
    });
  } finally {
    conn.close();
  }
}

const nginx = (name: string, replicas: number) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, labels: { app: "nginx" } },
  spec: {
    replicas,
    selector: { matchLabels: { app: "nginx" } },
    template: { metadata: { labels: { app: "nginx" } }, spec: { containers: [{ name: "nginx", image: "nginx:1.14.2", ports: [{ containerPort: 80 }] }] } },
  },
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mk-rest-"));
  pki = (await initPki({ dir, advertiseAddress: "127.0.0.1", tokenTtlSeconds: 60 })).pki;
  for (const n of ["a", "b"]) await issue(pki.ca, nodeCert(n), { subject: `/O=system:nodes/CN=system:node:${n}`, usage: "both" });
  api = await startTestApiServer({ tls: { cert: readFileSync(pki.apiserver.cert), key: readFileSync(pki.apiserver.key), clientCa: readFileSync(pki.ca.cert) } });
  admin = connect({ server: api.address, tls: { ca: readFileSync(pki.ca.cert), cert: readFileSync(pki.admin.cert), key: readFileSync(pki.admin.key) }, timeoutMs: 10_000 });
  for (const n of ["a", "b"]) {
    await admin.nodes.create(nodeObject({ name: n, ip: "127.0.0.9" }));
    await admin.pods.create(pod(`web-${n}`, { nodeName: n }));
  }
});

after(async () => {
  admin?.close();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("/version answers over HTTP/2 on the gRPC address: the Kubernetes minor mk follows, mk's version in gitVersion", async () => {
  const r = await request(pki.admin, "GET", "/version");
  assert.equal(r.status, 200);
  assert.equal(r.body.major, "1");
  assert.equal(r.body.minor, "32");
  assert.match(String(r.body.gitVersion), /^v1\.32\.0\+mk-\d+\.\d+\.\d+/);
  // And gRPC still works on the same address.
  assert.ok((await admin.version()).gitVersion);
});

test("no client certificate: 401 Status, reason Unauthorized", async () => {
  const r = await request(undefined, "GET", "/api/v1/namespaces/default/pods");
  assert.equal(r.status, 401);
  assert.equal(r.body.kind, "Status");
  assert.equal(r.body.reason, "Unauthorized");
  assert.equal(r.body.code, 401);
});

test("POST creates, GET returns Kubernetes' JSON, a second POST is 409 AlreadyExists, a bad object 422 with causes", async () => {
  const created = await request(pki.admin, "POST", "/apis/apps/v1/namespaces/default/deployments", { body: nginx("nginx-deployment", 3) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const got = await request(pki.admin, "GET", "/apis/apps/v1/namespaces/default/deployments/nginx-deployment");
  assert.equal(got.status, 200);
  assert.equal(got.contentType, "application/json");
  const spec = got.body.spec as { replicas: unknown; strategy: { rollingUpdate: { maxSurge: unknown } } };
  assert.equal(spec.replicas, 3);
  assert.equal(spec.strategy.rollingUpdate.maxSurge, "25%");
  assert.equal((got.body.metadata as { namespace: string }).namespace, "default");
  assert.equal(got.body.apiVersion, "apps/v1");

  const again = await request(pki.admin, "POST", "/apis/apps/v1/namespaces/default/deployments", { body: nginx("nginx-deployment", 3) });
  assert.equal(again.status, 409);
  assert.equal(again.body.reason, "AlreadyExists");
  assert.deepEqual(again.body.details, { name: "nginx-deployment", kind: "deployments", group: "apps" });

  const bad = await request(pki.admin, "POST", "/apis/apps/v1/namespaces/default/deployments", { body: nginx("bad", -1) });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.reason, "Invalid");
  const causes = (bad.body.details as { causes: { field: string }[] }).causes;
  assert.ok(causes.some((c) => c.field === "spec.replicas"), JSON.stringify(causes));

  const typo = nginx("typo", 1) as { spec: Record<string, unknown> };
  typo.spec.replica = 2;
  // fieldValidation=Strict, as kubectl sends it (rest-openapi.test.ts covers Warn and Ignore).
  const unknown = await request(pki.admin, "POST", "/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict", { body: typo });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.reason, "BadRequest");
  assert.match(String(unknown.body.message), /unknown field "spec\.replica"/);
  assert.equal((await request(pki.admin, "GET", "/apis/apps/v1/namespaces/default/deployments/typo")).status, 404, "a refused object changes nothing");

  const missing = await request(pki.admin, "GET", "/api/v1/namespaces/default/pods/nope");
  assert.equal(missing.status, 404);
  assert.equal(missing.body.reason, "NotFound");
});

test("LIST as a Table: the kind's columns with priorities, rows carrying their object's metadata", async () => {
  const r = await request(pki.admin, "GET", "/api/v1/pods", { accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" });
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, "Table");
  const columns = r.body.columnDefinitions as { name: string; priority: number }[];
  assert.deepEqual(columns.filter((c) => c.priority === 0).map((c) => c.name), ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
  assert.ok(columns.some((c) => c.name === "NODE" && c.priority === 1));
  const rows = r.body.rows as { cells: unknown[]; object: { kind: string; metadata: { name: string; namespace: string } } }[];
  assert.deepEqual(rows.map((row) => row.cells[0]).sort(), ["web-a", "web-b"]);
  assert.ok(rows.every((row) => row.object.kind === "PartialObjectMetadata" && row.object.metadata.namespace === "default"));

  const plain = await request(pki.admin, "GET", "/api/v1/namespaces/default/pods");
  assert.equal(plain.body.kind, "PodList");
  assert.equal((plain.body.items as unknown[]).length, 2);
});

test("discovery lists every kind of the table with verbs, short names, categories and subresources", async () => {
  const groups = await request(pki.admin, "GET", "/apis");
  assert.ok((groups.body.groups as { name: string }[]).some((g) => g.name === "apps"));
  const apps = await request(pki.admin, "GET", "/apis/apps/v1");
  const resources = apps.body.resources as { name: string; shortNames?: string[]; categories?: string[]; verbs: string[] }[];
  const deployments = resources.find((r) => r.name === "deployments");
  assert.deepEqual(deployments?.shortNames, ["deploy"]);
  assert.deepEqual(deployments?.categories, ["all"]);
  assert.ok(deployments?.verbs.includes("list"));
  assert.ok(resources.some((r) => r.name === "deployments/scale"));
  const core = await request(pki.admin, "GET", "/api/v1");
  assert.ok((core.body.resources as { name: string }[]).some((r) => r.name === "nodes"));
});

test("node restriction over HTTP as over gRPC: a node's certificate is refused on another node's pod", async () => {
  const own = await request(nodeCert("a"), "GET", "/api/v1/namespaces/default/pods/web-a");
  assert.equal(own.status, 200);
  const other = await request(nodeCert("a"), "DELETE", "/api/v1/namespaces/default/pods/web-b");
  assert.equal(other.status, 403, JSON.stringify(other.body));
  assert.equal(other.body.reason, "Forbidden");
  const still = await request(pki.admin, "GET", "/api/v1/namespaces/default/pods/web-b");
  assert.equal(still.status, 200);
});

test("over HTTP too, a node reads a Secret only while one of its pods refers to it: 403 otherwise", async () => {
  await admin.resource("Secret").create(Secret.fromPartial({ metadata: emptyMeta({ name: "http-only-b", namespace: "default" }), data: { k: Buffer.from("v") } }));
  const p = pod("uses-http-secret", { nodeName: "b" });
  await admin.pods.create(Pod.fromPartial({ ...p, spec: { ...p.spec, volumes: [{ name: "s", secret: { secretName: "http-only-b", items: [] } }] } }));
  const path = "/api/v1/namespaces/default/secrets";
  const refused = await request(nodeCert("a"), "GET", `${path}/http-only-b`);
  assert.equal(refused.status, 403, JSON.stringify(refused.body));
  assert.match(String(refused.body.message), /no relationship found between node 'a' and this object/);
  assert.equal((await request(nodeCert("b"), "GET", `${path}/http-only-b`)).status, 200);
  assert.equal((await request(nodeCert("b"), "GET", path)).status, 403, "a list of every Secret");
  const byName = await request(nodeCert("b"), "GET", `${path}?fieldSelector=${encodeURIComponent("metadata.name=http-only-b")}`);
  assert.equal(byName.status, 200, JSON.stringify(byName.body));
  assert.deepEqual((byName.body.items as { metadata: { name: string } }[]).map((s) => s.metadata.name), ["http-only-b"]);
});

test("WATCH streams one JSON event a line: a pod created after the list's resourceVersion comes ADDED", async () => {
  const list = await request(pki.admin, "GET", "/api/v1/namespaces/default/pods");
  const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;
  const conn = session(pki.admin);
  try {
    const stream = conn.request({ ":method": "GET", ":path": `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`, accept: "application/json" });
    let buffered = "";
    const added = new Promise<{ type: string; object: { kind: string; metadata: { name: string } } }>((resolve, reject) => {
      stream.on("data", (c: Buffer) => {
        buffered += c.toString("utf8");
        for (const line of buffered.split("\n").slice(0, -1)) {
          const ev = JSON.parse(line) as { type: string; object: { kind: string; metadata: { name: string } } };
          if (ev.object.metadata?.name === "web-c") resolve(ev);
        }
      });
      stream.on("error", reject);
      setTimeout(() => reject(new Error(`no event for web-c within 30 s; got: ${buffered}`)), 30_000).unref();
    });
    await admin.pods.create(pod("web-c", { nodeName: "a" }));
    const ev = await added;
    assert.equal(ev.type, "ADDED");
    assert.equal(ev.object.kind, "Pod");
  } finally {
    conn.close();
    conn.destroy();
  }
});
