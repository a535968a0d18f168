// Leader election against an in-memory Lease API with compare-and-swap, on a manual clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyMeta, Lease } from "@mk/proto";
import { AlreadyExistsError, ConflictError, NotFoundError, UnavailableError } from "@mk/proto/client";
import { type LeaseClient, LeaderElector, ManualClock, microTime } from "@mk/proto/informer";

class FakeLeases implements LeaseClient {
  private rev = 1;
  readonly items = new Map<string, Lease>();
  down = false;
  writes = 0;

  async get(name: string, namespace = ""): Promise<Lease> {
    if (this.down) throw new UnavailableError("down");
    const l = this.items.get(`${namespace}/${name}`);
    if (!l) throw new NotFoundError(`lease ${name} not found`);
    return Lease.fromPartial(l);
  }

  async create(obj: Lease): Promise<Lease> {
    if (this.down) throw new UnavailableError("down");
    const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    if (this.items.has(key)) throw new AlreadyExistsError("exists");
    return this.store(key, obj);
  }

  async update(obj: Lease): Promise<Lease> {
    if (this.down) throw new UnavailableError("down");
    const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    const cur = this.items.get(key);
    if (!cur) throw new NotFoundError("gone");
    if (obj.metadata?.resourceVersion !== cur.metadata?.resourceVersion) throw new ConflictError("stale resourceVersion");
    return this.store(key, obj);
  }

  /** What another process (with its own clock) writes. */
  hold(holder: string, renewTime: string): void {
    const key = "mk-system/lock";
    const cur = this.items.get(key);
    this.store(key, Lease.fromPartial({
      metadata: cur?.metadata ?? emptyMeta({ name: "lock", namespace: "mk-system" }),
      spec: { holderIdentity: holder, leaseDurationSeconds: 4, acquireTime: renewTime, renewTime, leaseTransitions: 0 },
    }));
  }

  lease(): Lease | undefined {
    return this.items.get("mk-system/lock");
  }

  private store(key: string, obj: Lease): Lease {
    this.writes++;
    const l = Lease.fromPartial({ ...obj, metadata: { ...obj.metadata!, resourceVersion: String(++this.rev) } });
    this.items.set(key, l);
    return Lease.fromPartial(l);
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

/** Advances the manual clock in 50 ms steps, letting promises settle in between. */
async function step(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    clock.advance(Math.min(50, ms - t));
    await flush();
  }
}

function candidate(leases: FakeLeases, clock: ManualClock, identity: string, events: string[]) {
  return new LeaderElector({
    client: { leases },
    name: "lock",
    identity,
    leaseDurationMs: 4000,
    renewDeadlineMs: 3000,
    retryPeriodMs: 500,
    clock,
    onStartedLeading: (signal) => {
      events.push(`${identity} started`);
      signal.addEventListener("abort", () => events.push(`${identity} signal aborted`));
    },
    onStoppedLeading: () => events.push(`${identity} stopped`),
    onNewLeader: (id) => events.push(`${identity} sees ${id}`),
  });
}

test("microTime is RFC 3339 with microseconds", () => {
  assert.equal(microTime(new Date("2025-01-02T03:04:05.678Z")), "2025-01-02T03:04:05.678000Z");
});

test("a standby judges expiry by when it saw the lease change, never by the holder's renewTime", async () => {
  const clock = new ManualClock();
  const leases = new FakeLeases();
  // The holder's clock is an hour slow: by its renewTime the lease expired long ago.
  leases.hold("other", "2020-01-01T00:00:00.000000Z");
  const events: string[] = [];
  const el = candidate(leases, clock, "me", events);
  const ac = new AbortController();
  const run = el.run(ac.signal);
  await step(clock, 3500);
  assert.equal(el.isLeader(), false, "3.5 s after first seeing it: not expired");
  assert.equal(el.getLeader(), "other");
  leases.hold("other", "2020-01-01T00:00:03.500000Z"); // a renewal: the countdown restarts
  await step(clock, 3500);
  assert.equal(el.isLeader(), false, "renewed 3.5 s ago (by our clock)");
  // No renewal any more: taken over 4 s after the last change was seen (≤ 0.6 s after it was
  // made), at the next try (≤ 0.6 s later): by 3.5 + 0.6 + 4 + 0.6 = 8.7 s.
  await step(clock, 2000);
  assert.equal(el.isLeader(), true);
  const l = leases.lease()!;
  assert.equal(l.spec?.holderIdentity, "me");
  assert.equal(l.spec?.leaseTransitions, 1);
  assert.equal(l.spec?.leaseDurationSeconds, 4);
  assert.match(l.spec?.renewTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.deepEqual(events, ["me sees other", "me sees me", "me started"]);
  ac.abort();
  await run;
});

test("two candidates: exactly one leads; the holder renews; release on shutdown hands over at once", async () => {
  const clock = new ManualClock();
  const leases = new FakeLeases();
  const events: string[] = [];
  const a = candidate(leases, clock, "a", events);
  const b = candidate(leases, clock, "b", events);
  const acA = new AbortController();
  const acB = new AbortController();
  const runs = [a.run(acA.signal), b.run(acB.signal)];
  await step(clock, 10_000);
  assert.equal(Number(a.isLeader()) + Number(b.isLeader()), 1, "exactly one leader");
  const [leader, standby, acLeader] = a.isLeader() ? [a, b, acA] : [b, a, acB];
  const renewTime = leases.lease()?.spec?.renewTime;
  assert.ok(renewTime);
  assert.equal(leader.getLeader(), standby.getLeader());
  acLeader.abort();
  await flush();
  assert.equal(leases.lease()?.spec?.holderIdentity, "", "released");
  await step(clock, 700); // the standby's next try (retry period 500 ms + up to 20 % jitter)
  assert.equal(standby.isLeader(), true, "took over without waiting out the lease");
  assert.equal(leases.lease()?.spec?.leaseTransitions, 1);
  acA.abort();
  acB.abort();
  await Promise.all(runs);
  assert.equal(events.filter((e) => e.endsWith("started")).length, 2);
  assert.equal(events.filter((e) => e.endsWith("stopped")).length, 2);
});

test("a leader that cannot renew for renewDeadline gives up: its signal aborts and run returns", async () => {
  const clock = new ManualClock();
  const leases = new FakeLeases();
  const events: string[] = [];
  const el = candidate(leases, clock, "a", events);
  const run = el.run(new AbortController().signal);
  await step(clock, 100);
  assert.equal(el.isLeader(), true);
  leases.down = true;
  await step(clock, 2400);
  assert.equal(el.isLeader(), true, "still within the 3 s renew deadline");
  await step(clock, 1100);
  assert.equal(el.isLeader(), false);
  await run;
  assert.deepEqual(events, ["a sees a", "a started", "a signal aborted", "a stopped"]);
});

test("a leader whose lease was taken over stops at once", async () => {
  const clock = new ManualClock();
  const leases = new FakeLeases();
  const events: string[] = [];
  const el = candidate(leases, clock, "a", events);
  const run = el.run(new AbortController().signal);
  await step(clock, 100);
  assert.equal(el.isLeader(), true);
  leases.hold("intruder", microTime(new Date()));
  await step(clock, 600);
  assert.equal(el.isLeader(), false);
  await run;
  assert.ok(events.includes("a stopped"));
});

test("work that fails gives up leadership and releases the lease", async () => {
  const clock = new ManualClock();
  const leases = new FakeLeases();
  const el = new LeaderElector({
    client: { leases },
    name: "lock",
    identity: "a",
    leaseDurationMs: 4000,
    renewDeadlineMs: 3000,
    retryPeriodMs: 500,
    clock,
    onStartedLeading: async () => {
      throw new Error("controller crashed");
    },
  });
  await el.run(new AbortController().signal);
  assert.equal(el.isLeader(), false);
  assert.equal(leases.lease()?.spec?.holderIdentity, "");
});

test("stopped while the winning write is in flight: never leads, and hands the lease back", async () => {
  const clock = new ManualClock();
  const leases = new FakeLeases();
  const events: string[] = [];
  const el = candidate(leases, clock, "a", events);
  const ac = new AbortController();
  const run = el.run(ac.signal);
  ac.abort(); // the get is in flight; the create that follows wins
  await run;
  assert.equal(el.isLeader(), false);
  assert.ok(!events.includes("a started"));
  assert.equal(leases.lease()?.spec?.holderIdentity, "", "released");
});

test("durations must nest: lease > renew deadline > 1.2 × retry period", () => {
  const base = { client: { leases: new FakeLeases() }, name: "l", identity: "i", onStartedLeading() {} };
  assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 3000, renewDeadlineMs: 3000 }), /greater than renewDeadlineMs/);
  assert.throws(() => new LeaderElector({ ...base, renewDeadlineMs: 1000, retryPeriodMs: 1000 }), /1.2/);
});
