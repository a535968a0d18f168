// Operating the HTTP edge: per-verb request counts and latencies in /metrics, bodies over 3 MiB
// refused with 413, watches over HTTP/1.1 and HTTP/2 that end only when asked (timeoutSeconds) or
// when the server shuts down, drained cleanly (the stream ends; it is not reset).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { initPki, type Pki } from "@mk/kubectl/cluster/pki.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { type RestTarget, restRequest, restSession } from "./rest-client.js";

let api: TestApiServer;
let dir: string;
let pki: Pki;
let admin: RestTarget;
const cmPath = "/api/v1/namespaces/default/configmaps";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mk-rest-operating-"));
  pki = (await initPki({ dir, advertiseAddress: "127.0.0.1", tokenTtlSeconds: 60 })).pki;
  api = await startTestApiServer({ httpListen: "127.0.0.1:0", tls: { cert: readFileSync(pki.apiserver.cert), key: readFileSync(pki.apiserver.key), clientCa: readFileSync(pki.ca.cert) } });
  admin = { address: api.address, ca: pki.ca.cert, client: pki.admin };
});

after(async () => {
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function metrics(): Promise<string> {
  return await (await fetch(`http://127.0.0.1:${api.server.httpPort}/metrics`)).text();
}

function sample(text: string, name: string, labels: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

test("/metrics: HTTP requests counted by verb, resource and code, with latencies", async () => {
  const before = await metrics();
  const base = {
    list: sample(before, "mk_apiserver_http_requests_total", 'verb="list",resource="configmaps",code="200"'),
    create: sample(before, "mk_apiserver_http_requests_total", 'verb="create",resource="configmaps",code="201"'),
    missing: sample(before, "mk_apiserver_http_requests_total", 'verb="get",resource="configmaps",code="404"'),
  };
  await restRequest(admin, "GET", cmPath);
  await restRequest(admin, "GET", cmPath);
  assert.equal((await restRequest(admin, "POST", cmPath, { body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "m1" }, data: { a: "b" } } })).status, 201);
  assert.equal((await restRequest(admin, "GET", `${cmPath}/nope`)).status, 404);
  await restRequest(admin, "GET", "/api/v1/namespaces/default/nothings");
  const text = await metrics();
  assert.equal(sample(text, "mk_apiserver_http_requests_total", 'verb="list",resource="configmaps",code="200"'), base.list + 2);
  assert.equal(sample(text, "mk_apiserver_http_requests_total", 'verb="create",resource="configmaps",code="201"'), base.create + 1);
  assert.equal(sample(text, "mk_apiserver_http_requests_total", 'verb="get",resource="configmaps",code="404"'), base.missing + 1);
  assert.ok(sample(text, "mk_apiserver_http_requests_total", 'verb="list",resource="unknown",code="404"') >= 1, "a resource the server does not serve is one label value");
  assert.ok(sample(text, "mk_apiserver_http_request_duration_seconds_count", 'verb="list",resource="configmaps"') >= 2);
});

test("a body over 3 MiB: 413 RequestEntityTooLarge, nothing written", async () => {
  const big = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "big" }, data: { k: "x".repeat(3 * 1024 * 1024) } };
  const r = await restRequest(admin, "POST", cmPath, { body: big });
  assert.equal(r.status, 413, r.text.slice(0, 300));
  assert.equal(r.body.reason, "RequestEntityTooLarge");
  assert.equal(r.body.message, "Request entity too large: limit is 3145728");
  assert.equal((await restRequest(admin, "GET", `${cmPath}/big`)).status, 404);
});

test("a watch over HTTP/1.1 streams events; timeoutSeconds ends it cleanly", async () => {
  const [host = "", port = ""] = api.address.split(":");
  const started = Date.now();
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        port: Number(port),
        path: `${cmPath}?watch=true&resourceVersion=0&timeoutSeconds=2`,
        servername: "localhost",
        ca: readFileSync(pki.ca.cert),
        cert: readFileSync(pki.admin.cert),
        key: readFileSync(pki.admin.key),
        // No ALPN offered (node https offers none): the front door hands the connection to HTTP/1.1.
        headers: { accept: "application/json" },
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
  assert.equal(status, 200);
  assert.match(text, /^\{"type":"ADDED","object":\{.*"name":"m1"/m);
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds >= 1.9 && seconds < 20, `ended after ${seconds} s`);
});

test("graceful shutdown drains HTTP watches: the stream ends cleanly, it is not reset", async () => {
  const conn = restSession(admin);
  const stream = conn.request({ ":method": "GET", ":path": `${cmPath}?watch=true&resourceVersion=0`, accept: "application/json" });
  let text = "";
  const ended = new Promise<string>((resolve, reject) => {
    stream.on("data", (c: Buffer) => (text += c.toString("utf8")));
    stream.on("end", () => resolve(text));
    stream.on("error", reject);
    conn.on("error", reject);
  });
  const deadline = Date.now() + 30_000;
  while (!text.includes('"m1"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(text, /"m1"/, "the watch is open");
  const stopped = api.server.stop();
  const out = await ended;
  assert.match(out, /"ADDED"/);
  await stopped;
  conn.destroy();
});
