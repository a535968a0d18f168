// WriteFence on its own, with a fake put: when writes wait, what one bump covers, and deadlines.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UnavailableError } from "@mk/proto/client";
import { WriteFence } from "@mk/apiserver/storage/etcd-fence.js";

/** A put that answers what `answers` says, in order (a thrown Error fails that attempt), and records each call. */
function fakePut(answers: (string | Error)[]) {
  const calls: string[] = [];
  const put = async (_key: string, expected: string) => {
    calls.push(expected);
    const a = answers.shift();
    if (a === undefined) throw new Error("no answer left");
    if (a instanceof Error) throw a;
    return a;
  };
  return { put, calls };
}

test("the first write waits for the first bump (put if absent); later writes use its revision", async () => {
  const { put, calls } = fakePut(["5"]);
  const fence = new WriteFence(put);
  assert.equal(await fence.current(Date.now() + 1_000), "5");
  assert.equal(await fence.current(Date.now() + 1_000), "5");
  assert.deepEqual(calls, ["0"]);
});

test("an unknown outcome bumps from the revision it carried; concurrent ones share the bump", async () => {
  const { put, calls } = fakePut(["5", "9"]);
  const fence = new WriteFence(put);
  const rev = await fence.current(Date.now() + 1_000);
  await Promise.all([fence.unknown(rev, Date.now() + 1_000), fence.unknown(rev, Date.now() + 1_000)]);
  assert.equal(await fence.current(Date.now() + 1_000), "9");
  assert.deepEqual(calls, ["0", "5"]);
  // An unknown outcome against a fence that has moved on since costs nothing.
  await fence.unknown(rev, Date.now() + 1_000);
  assert.deepEqual(calls, ["0", "5"]);
});

test("a failed bump is tried again; writes wait for it, and give up at their deadline with Unavailable", async () => {
  const { put, calls } = fakePut(["5", new Error("cut"), new Error("cut"), "12"]);
  const errors: unknown[] = [];
  const fence = new WriteFence(put, (err) => errors.push(err));
  const rev = await fence.current(Date.now() + 1_000);
  await assert.rejects(fence.unknown(rev, Date.now() + 50), UnavailableError);
  assert.equal(await fence.current(Date.now() + 5_000), "12", "the bump went on after the deadline, and the next write waits for it");
  assert.deepEqual(calls, ["0", "5", "5", "5"]);
  assert.equal(errors.length, 2);
});

test("a fence seen moved (or gone, \"0\") is bumped before the next write; a gone fence is put afresh", async () => {
  const { put, calls } = fakePut(["5", "0", "14"]);
  const fence = new WriteFence(put);
  const rev = await fence.current(Date.now() + 1_000);
  fence.moved(rev, "0");
  assert.equal(await fence.current(Date.now() + 1_000), "14");
  assert.deepEqual(calls, ["0", "0", "0"]);
  // A move reported against an older revision is stale: nothing owed.
  fence.moved(rev, "3");
  assert.equal(await fence.current(Date.now() + 1_000), "14");
});
