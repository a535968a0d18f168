// The choice of etcd endpoints after a MemberList (storage/etcd-sync.ts), the sync loop around it,
// and WatchMembers' list switch (storage/etcd-watch.ts): which members count, when a list is a change,
// where a watch goes next, and which channels close.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ListedMember, MemberSync, memberEndpoints, nextEndpoints, sameEndpoints } from "@mk/apiserver/storage/etcd-sync.js";
import { WatchMembers } from "@mk/apiserver/storage/etcd-watch.js";

const voter = (name: string, ...clientURLs: string[]): ListedMember => ({ name, clientURLs, isLearner: false });
const A = "https://10.0.0.1:2379";
const B = "https://10.0.0.2:2379";
const C = "https://10.0.0.3:2379";

test("only started voters count: learners and members added but not started are left out", () => {
  const members = [
    voter("m1", A),
    { name: "m2", clientURLs: [B], isLearner: true },
    { name: "", clientURLs: [], isLearner: false }, // added, not started yet
    voter("m3", `${C}/`, C),
  ];
  assert.deepEqual(memberEndpoints(members), [A, C]);
});

test("a member with several client URLs contributes each; the list is sorted and has no duplicates", () => {
  assert.deepEqual(memberEndpoints([voter("m2", B, "http://127.0.0.1:2379"), voter("m1", A, B)]), ["http://127.0.0.1:2379", A, B]);
});

test("the same members in another order, or with a trailing slash, are no change", () => {
  assert.ok(sameEndpoints([A, B], [B, `${A}/`]));
  assert.ok(!sameEndpoints([A, B], [A, B, C]));
  assert.ok(!sameEndpoints([A, B], [A, C]));
  assert.equal(nextEndpoints([B, A], [voter("m1", A), voter("m2", B)]), undefined);
});

test("a member joined or removed is a change, to the listed members", () => {
  assert.deepEqual(nextEndpoints([A], [voter("m1", A), voter("m2", B), voter("m3", C)]), [A, B, C]);
  assert.deepEqual(nextEndpoints([A, B, C], [voter("m2", B), voter("m3", C)]), [B, C]);
  // The seed need not be a member at all (a name etcd does not advertise): the members replace it.
  assert.deepEqual(nextEndpoints(["http://localhost:2379"], [voter("m1", A)]), [A]);
});

test("never an empty list: a list of learners and unstarted members keeps the endpoints in use", () => {
  assert.equal(nextEndpoints([A], []), undefined);
  assert.equal(nextEndpoints([A], [{ name: "m2", clientURLs: [B], isLearner: true }, { name: "", clientURLs: [], isLearner: false }]), undefined);
});

test("the sync applies a change once, keeps the list when MemberList fails, and stops", async () => {
  let current = [A];
  let answer: ListedMember[] | Error = [voter("m1", A), voter("m2", B)];
  const applied: string[][] = [];
  const errors: unknown[] = [];
  const sync = new MemberSync({
    everyMs: 0,
    list: async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    },
    current: () => current,
    apply: (next) => {
      applied.push(next);
      current = next;
    },
    onError: (err) => errors.push(err),
  });
  assert.equal(await sync.sync(), true);
  assert.equal(await sync.sync(), false, "the same members again: no change");
  answer = new Error("etcdserver: no leader");
  assert.equal(await sync.sync(), false);
  assert.equal(errors.length, 1);
  answer = [voter("m2", B)];
  sync.stop();
  assert.equal(await sync.sync(), false, "a closed storage switches no more");
  assert.deepEqual(applied, [[A, B]]);
  assert.deepEqual(current, [A, B]);
});

test("the sync asks every interval, never twice at once; 0 never asks", async () => {
  let calls = 0;
  let inFlight = 0;
  let most = 0;
  const slow = new MemberSync({
    everyMs: 20,
    list: async () => {
      calls++;
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 70));
      inFlight--;
      return [voter("m1", A)];
    },
    current: () => [A],
    apply: () => assert.fail("no change to apply"),
  });
  const off = new MemberSync({ everyMs: 0, list: async () => assert.fail("never asked"), current: () => [A], apply: () => {} });
  slow.start();
  off.start();
  // unref'd timers: keep the event loop alive while they run.
  await new Promise((r) => setTimeout(r, 300));
  slow.stop();
  assert.ok(calls >= 2, `asked ${calls} times in 300 ms`);
  assert.equal(most, 1, "one MemberList at a time");
});

test("watches: a member after the one a watch is on, a removed member's channel closed once unused", () => {
  const members = new WatchMembers({ endpoints: [A] });
  assert.equal(members.firstMember(), A);
  assert.equal(members.nextMember(A), A, "one member: a move tries it again");
  members.acquire(A); // a live watch's stream on A
  members.setEndpoints([B, C]);
  assert.deepEqual(members.channels(), [A], "A's channel stays while a watch uses it");
  const next = members.nextMember(A);
  assert.ok(next === B || next === C, `a watch leaving A goes to the new list (${next})`);
  assert.equal(members.nextMember(B), C);
  assert.equal(members.nextMember(C), B);
  members.acquire(next);
  members.release(A);
  assert.deepEqual(members.channels(), [next], "A's channel closed with its last stream");
  members.release(next);
  assert.deepEqual(members.channels(), [next], "a listed member's channel is kept for the next watch");
  assert.throws(() => members.setEndpoints([]), /no endpoints/);
  members.close();
  assert.deepEqual(members.channels(), []);
});
