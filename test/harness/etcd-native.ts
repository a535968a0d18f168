// etcd as the local cluster runs it: Debian's binary as a plain process (no container, no
// docker-proxy in the path). Benchmarks use it so their figures are the product's, not Docker's.
// `joinNativeEtcd` adds a member to a running cluster as `mkctl cluster join --control-plane` does:
// MemberAdd as a learner through an existing member, started with `--initial-cluster-state
// existing` and MemberAdd's list, promoted once it has caught up.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noop } from "cockatiel";
import { Etcd3 } from "etcd3";
import { freePort } from "./etcd.js";
import { eventually } from "./wait.js";

export interface NativeEtcd {
  /** The member's name (`--name`). */
  name: string;
  endpoint: string;
  peerUrl: string;
  stop(): Promise<void>;
}

export interface NativeEtcdOptions {
  /** Where the data directory goes (default the OS temp dir; /dev/shm keeps it in memory). */
  parent?: string;
  /** Default "default", etcd's own. */
  name?: string;
}

interface Ports {
  dir: string;
  endpoint: string;
  peerUrl: string;
}

async function ports(parent: string): Promise<Ports> {
  const dir = await mkdtemp(join(parent, "mk-etcd-"));
  return { dir, endpoint: `http://127.0.0.1:${await freePort()}`, peerUrl: `http://127.0.0.1:${await freePort()}` };
}

function spawnEtcd(name: string, p: Ports, cluster: string[]): ChildProcess {
  return spawn(
    "etcd",
    [
      ...["--name", name, "--data-dir", join(p.dir, "data")],
      ...["--listen-client-urls", p.endpoint, "--advertise-client-urls", p.endpoint],
      ...["--listen-peer-urls", p.peerUrl, "--initial-advertise-peer-urls", p.peerUrl],
      ...["--initial-cluster", `${name}=${p.peerUrl}`],
      ...cluster,
    ],
    { stdio: "ignore" },
  );
}

function handle(name: string, p: Ports, proc: ChildProcess): NativeEtcd {
  return {
    name,
    endpoint: p.endpoint,
    peerUrl: p.peerUrl,
    async stop() {
      proc.kill("SIGKILL");
      await rm(p.dir, { recursive: true, force: true });
    },
  };
}

/** A single-member cluster. A string argument is `parent` (the older signature). */
export async function startNativeEtcd(opts: string | NativeEtcdOptions = {}): Promise<NativeEtcd> {
  const o = typeof opts === "string" ? { parent: opts } : opts;
  const name = o.name ?? "default";
  const p = await ports(o.parent ?? tmpdir());
  const proc = spawnEtcd(name, p, []);
  const member = handle(name, p, proc);
  try {
    await eventually("etcd healthy", async () => (await fetch(`${p.endpoint}/health`)).ok);
  } catch (err) {
    await member.stop();
    throw err;
  }
  return member;
}

/**
 * Adds a member to the cluster `seed` (a member's client URL) belongs to: a learner, started, promoted
 * once in sync (MemberPromote answers FailedPrecondition until then). Resolves when it is a healthy
 * voter; a failed join removes the member again.
 */
export async function joinNativeEtcd(seed: string, opts: NativeEtcdOptions = {}): Promise<NativeEtcd> {
  const name = opts.name ?? `m-${randomUUID().slice(0, 8)}`;
  const p = await ports(opts.parent ?? tmpdir());
  // No breaker or retries of its own: each answer as etcd gives it.
  const admin = new Etcd3({ hosts: seed, faultHandling: { host: () => noop, global: noop } });
  let member: NativeEtcd | undefined;
  let id: string | undefined;
  try {
    // Right after a promotion etcd refuses a MemberAdd as "unhealthy cluster" for a moment; any other
    // error ends the join (a re-sent MemberAdd could add the member twice).
    const deadline = Date.now() + 30_000;
    let added: Awaited<ReturnType<typeof admin.cluster.memberAdd>>;
    for (;;) {
      try {
        added = await admin.cluster.memberAdd({ peerURLs: [p.peerUrl], isLearner: true });
        break;
      } catch (err) {
        if (!/unhealthy cluster/.test(String(err)) || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    id = added.member.ID;
    const initial = added.members.map((m) => `${m.ID === id ? name : m.name}=${m.peerURLs.join(",")}`);
    const proc = spawnEtcd(name, p, ["--initial-cluster", initial.join(","), "--initial-cluster-state", "existing"]);
    member = handle(name, p, proc);
    const memberId = id;
    await eventually(
      "the learner promoted",
      async (why) => {
        try {
          await admin.cluster.memberPromote({ ID: memberId });
          return true;
        } catch (err) {
          // A promotion whose answer was lost and is sent again: it is a voter already.
          return /not a learner/.test(String(err)) || why(String(err));
        }
      },
      60_000,
      { everyMs: 250 },
    );
    await eventually(`${name} healthy`, async () => (await fetch(`${p.endpoint}/health`)).ok, 30_000);
    return member;
  } catch (err) {
    if (id) await admin.cluster.memberRemove({ ID: id }).catch(() => {});
    await member?.stop();
    throw err;
  } finally {
    admin.close();
  }
}
