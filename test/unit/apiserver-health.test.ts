// The API server's unauthenticated health answers on its TLS port (apiserver/src/rest/health.ts):
// which paths and methods, and that a store that does not answer makes /readyz 503 without saying why.
import assert from "node:assert/strict";
import { test } from "node:test";
import { healthReply } from "@mk/apiserver/rest/health.js";

const ok = () => Promise.resolve();
const down = () => Promise.reject(new Error("etcdserver: request timed out, secret detail"));

test("/livez and /healthz: the process serves; /readyz: the store answers", async () => {
  for (const path of ["/livez", "/healthz", "/readyz"]) assert.deepEqual(await healthReply("GET", path, ok), { code: 200, text: "ok" }, path);
  assert.deepEqual(await healthReply("HEAD", "/readyz", ok), { code: 200, text: "ok" });
  assert.deepEqual(await healthReply("GET", "/livez", down), { code: 200, text: "ok" }, "/livez does not depend on etcd");
  const r = await healthReply("GET", "/readyz", down);
  assert.equal(r?.code, 503);
  assert.doesNotMatch(r?.text ?? "", /secret detail|timed out/, "the reason stays in the server's log");
  assert.match(r?.text ?? "", /readyz check failed/);
});

test("any other path or method is not a health check (it goes through authentication)", () => {
  for (const [method, path] of [["GET", "/metrics"], ["GET", "/version"], ["GET", "/readyz/etcd"], ["POST", "/readyz"], ["DELETE", "/healthz"], ["GET", "/"]] as const) {
    assert.equal(healthReply(method, path, ok), undefined, `${method} ${path}`);
  }
});
