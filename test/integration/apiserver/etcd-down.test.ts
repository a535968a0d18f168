// With etcd gone, every call is UNAVAILABLE (retryable), never INTERNAL: also once the etcd client's
// per-host circuit breaker has opened after a few failures and rejects calls without trying.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Clientset, connect, UnavailableError } from "@mk/proto/client";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { failure } from "./fixtures.js";

let api: TestApiServer;
let cs: Clientset;

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address, retry: { attempts: 1 }, timeoutMs: 15_000 });
});
after(async () => {
  cs?.close();
  await api?.server.stop();
});

test("etcd down: calls fail UNAVAILABLE, before and after the circuit breaker opens", async () => {
  await cs.namespaces.get("default");
  await api.etcd.stop();
  // etcd3 opens a host's breaker after 3 consecutive failures; the calls after it never reach etcd.
  for (let i = 0; i < 6; i++) {
    const err = await failure(() => cs.namespaces.get("default"));
    assert.ok(err instanceof UnavailableError, `call ${i}: ${err.constructor.name}: ${err.message}`);
  }
});
