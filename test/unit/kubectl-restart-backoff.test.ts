// The supervisor's restart back-off (kubectl/src/cluster/restart-backoff.ts). Found by the chaos
// suite (issue 14): the joins a kubelet retried while `cluster up` brought the control plane up
// doubled the same back-off as crashes, so the kubelet's first kill cost 30 s instead of 1 s.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RestartBackoff } from "@mk/kubectl/cluster/restart-backoff.js";

test("prepares that waited for the API server do not delay the first restart after a kill", () => {
  const b = new RestartBackoff();
  const waits = Array.from({ length: 6 }, () => b.afterPrepareFailure());
  assert.deepEqual(waits, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000]);
  b.prepared();
  assert.equal(b.afterExit(5_000), 1_000);
});

test("a crash loop slows down to 30 s; a run of over a minute starts afresh", () => {
  const b = new RestartBackoff();
  assert.deepEqual(
    Array.from({ length: 7 }, () => b.afterExit(2_000)),
    [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000],
  );
  assert.equal(b.afterExit(61_000), 1_000);
  assert.equal(b.afterExit(2_000), 2_000);
});

test("a prepare that succeeds resets only its own counter; a released hold resets both", () => {
  const b = new RestartBackoff();
  b.afterExit(1_000);
  b.afterExit(1_000);
  b.afterPrepareFailure();
  b.prepared();
  assert.equal(b.afterPrepareFailure(), 1_000);
  assert.equal(b.afterExit(1_000), 4_000, "exits keep doubling: a crash loop whose prepare succeeds is still one");
  b.reset();
  assert.equal(b.afterExit(1_000), 1_000);
  assert.equal(b.afterPrepareFailure(), 1_000);
});
