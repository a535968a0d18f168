// The node IPAM allocator: ranges carved from the cluster CIDR are distinct, come back when
// released, run out with a clear error, and two allocators racing with stale views never hand out
// one range twice, because each range is claimed through a compare-and-swap (here a fake one).
import assert from "node:assert/strict";
import { test } from "node:test";
import { allocate, CidrExhaustedError } from "@mk/controller/nodeipam/allocate.js";
import { CidrSet } from "@mk/controller/nodeipam/cidr-set.js";
import { claimName, claimOf, type Holder, type RangeClaims, sameHolder } from "@mk/controller/nodeipam/claims.js";
import { Lease } from "@mk/proto";

/** Create-if-absent in memory, yielding before it decides so concurrent callers interleave. */
class FakeClaims implements RangeClaims {
  readonly held = new Map<string, Holder>();
  async claim(cidr: string, holder: Holder): Promise<Holder> {
    await new Promise((r) => setImmediate(r));
    const cur = this.held.get(cidr);
    if (cur) return cur;
    this.held.set(cidr, holder);
    return holder;
  }
  async release(cidr: string, holder: Holder): Promise<void> {
    const cur = this.held.get(cidr);
    if (cur && sameHolder(cur, holder)) this.held.delete(cidr);
  }
}

test("cidr set: /24 blocks of a /16 are distinct, in order, and released ones come back", () => {
  const set = new CidrSet("10.244.0.0/16", 24);
  assert.equal(set.size, 256);
  const got: string[] = [];
  for (let i = 0; i < 3; i++) {
    const c = set.firstFree() ?? "";
    set.occupy(c);
    got.push(c);
  }
  assert.deepEqual(got, ["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"]);
  set.release("10.244.1.0/24");
  assert.equal(set.firstFree(), "10.244.1.0/24");
  // Outside the cluster CIDR, or of another size: not one of its ranges, ignored.
  set.occupy("10.245.0.0/24");
  set.occupy("10.244.1.0/25");
  assert.equal(set.usedCount, 2);
  assert.equal(set.contains("10.244.7.0/24"), true);
  assert.equal(set.contains("10.245.7.0/24"), false);
});

test("cidr set: bad cluster CIDR or mask size is refused with the input named", () => {
  assert.throws(() => new CidrSet("10.244.1.0/16", 24), /"10.244.1.0\/16" has host bits set/);
  assert.throws(() => new CidrSet("10.244.0.0", 24), /is not a CIDR/);
  assert.throws(() => new CidrSet("10.244.0.0/16", 8), /mask size 8 must lie between the cluster CIDR's 16 and 30/);
});

test("allocate: a /28 cluster CIDR has four /30 ranges, then CIDRNotAvailable", async () => {
  const set = new CidrSet("10.9.0.0/28", 30);
  const claims = new FakeClaims();
  const got: string[] = [];
  for (let i = 0; i < 4; i++) got.push(await allocate(set, claims, { node: `n${i}`, uid: `u${i}` }, "10.9.0.0/28"));
  assert.deepEqual(got, ["10.9.0.0/30", "10.9.0.4/30", "10.9.0.8/30", "10.9.0.12/30"]);
  await assert.rejects(allocate(set, claims, { node: "n4", uid: "u4" }, "10.9.0.0/28"), (err: unknown) => {
    assert.ok(err instanceof CidrExhaustedError);
    assert.equal(err.reason, "CIDRNotAvailable");
    assert.match(err.message, /all 4 ranges of 10\.9\.0\.0\/28 are taken/);
    return true;
  });
  // Released (node deleted): the range is handed out again.
  await claims.release("10.9.0.4/30", { node: "n1", uid: "u1" });
  const fresh = new CidrSet("10.9.0.0/28", 30);
  for (const c of claims.held.keys()) fresh.occupy(c);
  assert.equal(await allocate(fresh, claims, { node: "n5", uid: "u5" }, "10.9.0.0/28"), "10.9.0.4/30");
});

test("allocate: two allocators racing with stale views never hand out one range twice", async () => {
  const claims = new FakeClaims();
  // Each controller manager sees nothing used (its caches lag the other's claims).
  const a = new CidrSet("10.244.0.0/16", 24);
  const b = new CidrSet("10.244.0.0/16", 24);
  const runs: Promise<string>[] = [];
  for (let i = 0; i < 10; i++) {
    runs.push(allocate(a, claims, { node: `a${i}`, uid: `ua${i}` }, "10.244.0.0/16"));
    runs.push(allocate(b, claims, { node: `b${i}`, uid: `ub${i}` }, "10.244.0.0/16"));
  }
  const got = await Promise.all(runs);
  assert.equal(new Set(got).size, 20, `distinct ranges: ${got.join(", ")}`);
  assert.equal(claims.held.size, 20);
});

test("claims: the Lease name round-trips to the range and holder", () => {
  const lease = Lease.fromPartial({
    metadata: { name: claimName("10.244.3.0/24"), namespace: "mk-system", labels: { "mk.io/node-ipam": "podcidr" } },
    spec: { holderIdentity: "node-1/abc" },
  });
  assert.deepEqual(claimOf(lease), { cidr: "10.244.3.0/24", holder: { node: "node-1", uid: "abc" } });
  assert.equal(claimOf(Lease.fromPartial({ metadata: { name: "mk-controller-manager", namespace: "mk-system" } })), undefined);
});
