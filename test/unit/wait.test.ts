// The shared polling helper: what it returns, and what its timeout says.
import assert from "node:assert/strict";
import { test } from "node:test";
import { eventually, WaitTimeoutError } from "../harness/wait.js";

test("eventually returns the probe's first value that is neither undefined nor false", async () => {
  let calls = 0;
  const got = await eventually("the third call", () => (++calls === 3 ? `call ${calls}` : calls === 1 ? false : undefined), 1_000);
  assert.equal(got, "call 3");
  assert.equal(calls, 3);
  // A value of 0 or "" is a value, not "still waiting".
  assert.equal(await eventually("zero", async () => 0, 1_000), 0);
});

test("a timeout names what was awaited, how long, and the probe's last reason or error", async () => {
  await assert.rejects(
    eventually("the pods to be Running", (why) => why("2 of 3 Running"), 50),
    (err: unknown) => err instanceof WaitTimeoutError && err.message === "timed out after 0.05 s waiting for the pods to be Running; last: 2 of 3 Running",
  );
  await assert.rejects(
    eventually(
      "the server",
      () => {
        throw new Error("connection refused");
      },
      50,
    ),
    /^WaitTimeoutError: timed out after 0\.05 s waiting for the server; last: error: connection refused$/,
  );
});

test("an aborted signal stops the wait early", async () => {
  const ac = new AbortController();
  ac.abort();
  const t0 = Date.now();
  await assert.rejects(eventually("never", () => false, 10_000, { signal: ac.signal }), /^WaitTimeoutError: aborted \(the caller's time is up\) waiting for never$/);
  assert.ok(Date.now() - t0 < 1_000);
});
