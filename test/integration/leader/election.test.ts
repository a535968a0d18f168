// Leader election between separate candidate processes through a real API server and etcd:
// a SIGKILLed leader is replaced within two lease durations; a gracefully stopped one at once.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Clientset, connect } from "@mk/proto/client";
import { startTestApiServer } from "../../harness/apiserver.js";

const CANDIDATE = join(dirname(fileURLToPath(import.meta.url)), "candidate.js");
const LEASE_MS = 4000;

interface Line {
  event: string;
  identity: string;
  t: number;
  leader?: string;
}

class Candidate {
  readonly proc: ChildProcess;
  readonly lines: Line[] = [];
  readonly exited: Promise<number | null>;
  private listeners = new Set<() => void>();

  constructor(server: string, identity: string, lease: string) {
    this.proc = spawn(process.execPath, [CANDIDATE, "--server", server, "--identity", identity, "--lease", lease, "--lease-ms", String(LEASE_MS)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    createInterface({ input: this.proc.stdout! }).on("line", (l) => {
      this.lines.push(JSON.parse(l) as Line);
      for (const fn of this.listeners) fn();
    });
    // Keep its log for a failing run, without flooding a passing one.
    const log: string[] = [];
    createInterface({ input: this.proc.stderr! }).on("line", (l) => log.push(l));
    this.exited = new Promise((resolve) => this.proc.on("exit", (code) => {
      if (code !== 0 && code !== null) process.stderr.write(`${identity} exited ${code}:\n${log.join("\n")}\n`);
      resolve(code);
    }));
  }

  has(event: string): boolean {
    return this.lines.some((l) => l.event === event);
  }

  /** Resolves when the candidate prints event; rejects after ms. */
  waitFor(event: string, ms: number): Promise<Line> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const l = this.lines.find((x) => x.event === event);
        if (!l) return;
        this.listeners.delete(check);
        clearTimeout(timer);
        resolve(l);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`no "${event}" within ${ms} ms; saw ${JSON.stringify(this.lines)}`));
      }, ms);
      timer.unref(); // a loser of firstLeader must not keep the test process alive
      this.listeners.add(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
  }
}

let server: Awaited<ReturnType<typeof startTestApiServer>>;
let cs: Clientset;
const all: Candidate[] = [];

before(async () => {
  server = await startTestApiServer();
  cs = connect({ server: server.address });
});

after(async () => {
  for (const c of all) c.kill("SIGKILL");
  await Promise.all(all.map((c) => c.exited));
  cs?.close();
  await server?.stop();
});

function start(identity: string, lease: string): Candidate {
  const c = new Candidate(server.address, identity, lease);
  all.push(c);
  return c;
}

/** Whichever of the candidates prints "leading" first. */
async function firstLeader(cands: Candidate[], ms: number): Promise<Candidate> {
  return await Promise.any(
    cands.map(async (c) => {
      await c.waitFor("leading", ms);
      return c;
    }),
  );
}

test("SIGKILL the leader: the other candidate leads within two lease durations", async () => {
  const a = start("cand-a", "kill-test");
  const b = start("cand-b", "kill-test");
  const leader = await firstLeader([a, b], 15_000);
  const standby = leader === a ? b : a;
  await standby.waitFor("leader", 5_000); // the standby has seen the lease and its holder

  // A live leader keeps the lease: over more than a lease duration the standby never takes it.
  await new Promise((r) => setTimeout(r, LEASE_MS + 1500));
  assert.equal(standby.has("leading"), false, "the standby must not take a lease that is being renewed");
  const held = await cs.leases.get("kill-test", "mk-system");
  assert.equal(held.spec?.holderIdentity, leader === a ? "cand-a" : "cand-b");

  const killedAt = Date.now();
  leader.kill("SIGKILL");
  const took = await standby.waitFor("leading", 3 * LEASE_MS);
  const takeoverMs = took.t - killedAt;
  process.stdout.write(`leader election: SIGKILLed leader replaced after ${takeoverMs} ms (lease ${LEASE_MS} ms)\n`);
  assert.ok(takeoverMs <= 2 * LEASE_MS, `takeover took ${takeoverMs} ms, more than two lease durations`);
  assert.ok(takeoverMs >= LEASE_MS - 1000, `takeover after ${takeoverMs} ms: sooner than a lease could have expired`);

  const lease = await cs.leases.get("kill-test", "mk-system");
  assert.equal(lease.spec?.holderIdentity, standby === a ? "cand-a" : "cand-b");
  assert.equal(lease.spec?.leaseTransitions, 1);
  assert.equal(lease.spec?.leaseDurationSeconds, 4);
  assert.match(lease.spec?.renewTime ?? "", /\.\d{6}Z$/);
});

test("graceful shutdown releases the lease: the standby leads at its next try, not after the lease", async () => {
  const a = start("grace-a", "grace-test");
  const leader = await firstLeader([a], 15_000);
  const b = start("grace-b", "grace-test");
  await b.waitFor("leader", 5_000);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(b.has("leading"), false);

  const stoppedAt = Date.now();
  leader.kill("SIGTERM");
  const took = await b.waitFor("leading", 2 * LEASE_MS);
  const handoverMs = took.t - stoppedAt;
  process.stdout.write(`leader election: gracefully stopped leader replaced after ${handoverMs} ms (lease ${LEASE_MS} ms)\n`);
  assert.ok(handoverMs < LEASE_MS / 2, `handover took ${handoverMs} ms: the lease was not released`);
  assert.equal(await leader.exited, 0);
  assert.ok(leader.has("stopped"));
  const lease = await cs.leases.get("grace-test", "mk-system");
  assert.equal(lease.spec?.holderIdentity, "grace-b");
});
