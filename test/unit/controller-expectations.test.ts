// Expectations and slow-start batching of the ReplicaSet controller.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Expectations, EXPECTATIONS_TTL_MS } from "@mk/controller/expectations.js";
import { slowStartBatch } from "@mk/controller/replicaset/controller.js";

test("expectations: satisfied only once every create and delete was observed (or expired)", () => {
  let now = 0;
  const e = new Expectations(() => now);
  assert.equal(e.satisfied("ns/rs"), true);
  e.expectCreations("ns/rs", 2);
  assert.equal(e.satisfied("ns/rs"), false);
  e.creationObserved("ns/rs");
  assert.equal(e.satisfied("ns/rs"), false);
  e.creationObserved("ns/rs");
  assert.equal(e.satisfied("ns/rs"), true);
  e.expectDeletions("ns/rs", ["ns/a", "ns/b"]);
  e.deletionObserved("ns/rs", "ns/a");
  e.deletionObserved("ns/rs", "ns/a"); // the update with deletionTimestamp and the DELETED event: once
  assert.deepEqual(e.pending("ns/rs"), { add: 0, del: 1 });
  assert.equal(e.satisfied("ns/rs"), false);
  now += EXPECTATIONS_TTL_MS + 1;
  assert.equal(e.satisfied("ns/rs"), true, "a lost event cannot wedge the ReplicaSet");
});

test("slowStartBatch: 1, 2, 4 … and stops after the first failing batch", async () => {
  let n = 0;
  const ok = await slowStartBatch(10, 1, async () => {
    n++;
  });
  assert.equal(n, 10);
  assert.deepEqual({ created: ok.created, failed: ok.failed, skipped: ok.skipped }, { created: 10, failed: 0, skipped: 0 });
  let calls = 0;
  const bad = await slowStartBatch(100, 1, async () => {
    calls++;
    if (calls >= 2) throw new Error("quota");
  });
  // Batches 1 (ok) then 2 (both fail): 3 calls, 97 never made.
  assert.equal(calls, 3);
  assert.deepEqual({ created: bad.created, failed: bad.failed, skipped: bad.skipped }, { created: 1, failed: 2, skipped: 97 });
  assert.ok(bad.firstError instanceof Error);
});
