// The API server's etcd watch leaves a member that stops serving it, and events keep flowing on the
// same API watch (no error, no relist):
// - a member cut off from the quorum: its peer port (2380) dropped both ways by iptables inside the
//   member's own network namespace (the container's), while clients still reach its client port —
//   the member keeps answering, but has no leader, so its watches would silently stop. etcd's
//   `hasleader` metadata makes it cancel them; the watch moves.
// - a member frozen (`docker pause`: its process stops, its port still accepts connections): the
//   watch is silent despite a progress request and moves.
// Three real etcd members (the harness's cluster, 500 ms elections) and an in-process API server.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { ConfigMap } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { type Clientset, connect, UnavailableError } from "@mk/proto/client";
import { type ApiServer, startApiServer } from "@mk/apiserver";
import { EtcdStorage } from "@mk/apiserver/storage/etcd.js";
import { pino } from "pino";
import { docker, RUN_ID, removeRunContainers } from "../../harness/docker.js";
import { type EtcdClusterHandle, startEtcdCluster } from "../../harness/etcd.js";
import { watchAdded } from "../../harness/added-names.js";
import { eventually } from "../../harness/wait.js";

const run = promisify(execFile);

let etcd: EtcdClusterHandle;
let api: ApiServer;
let cs: Clientset;
const moves: { from: string; to: string; reason: string; at: number }[] = [];

before(async () => {
  etcd = await startEtcdCluster(3);
  api = await startApiServer({
    httpListen: "",
    // The server logs each move of an etcd watch at warn; the test reads them from the log.
    logger: pino({ level: "warn" }, {
      write(line: string) {
        const o = JSON.parse(line) as { msg?: string; from?: string; to?: string; reason?: string };
        if (o.msg === "etcd watch moved to another member") moves.push({ from: o.from ?? "", to: o.to ?? "", reason: o.reason ?? "", at: Date.now() });
      },
    }),
    etcdServers: etcd.endpoints,
    etcdRequestTimeoutMs: 5_000,
    etcdWatchSilenceMs: 3_000,
    listen: "127.0.0.1:0",
  });
  cs = connect({ server: api.address });
});
after(async () => {
  cs?.close();
  await api?.stop();
  await etcd?.stop();
  await removeRunContainers();
});

/** The member the API server's watch hub is on now (the hub's watch is the first). */
function hubMember(): number {
  const endpoint = api.storage.watchEndpoints()[0];
  const i = etcd.endpoints.indexOf(endpoint ?? "");
  assert.ok(i >= 0, `the hub's watch is on a member of the cluster (${endpoint})`);
  return i;
}

async function pidOf(i: number): Promise<string> {
  return (await docker(["inspect", "--format", "{{.State.Pid}}", etcd.members[i]!.containerId])).trim();
}

/** iptables inside member i's own network namespace (the container's, removed with it). */
async function inMemberNetns(i: number, args: string[]): Promise<void> {
  await run("nsenter", ["-t", await pidOf(i), "-n", "iptables", "-w", ...args]);
}

const CUT_TAG = `mk-test-cut-${RUN_ID}`;
const cutRules = [
  ["INPUT", "-p", "tcp", "--dport", "2380"],
  ["OUTPUT", "-p", "tcp", "--dport", "2380"],
];

async function cutFromPeers(i: number): Promise<void> {
  for (const r of cutRules) await inMemberNetns(i, ["-I", ...r, "-m", "comment", "--comment", CUT_TAG, "-j", "DROP"]);
}

async function reconnect(i: number): Promise<void> {
  for (const r of cutRules) await inMemberNetns(i, ["-D", ...r, "-m", "comment", "--comment", CUT_TAG, "-j", "DROP"]);
}

async function memberHealth(i: number): Promise<string> {
  try {
    const res = await fetch(`${etcd.endpoints[i]}/health`, { signal: AbortSignal.timeout(2_000) });
    return await res.text();
  } catch (err) {
    return `unreachable: ${String(err)}`;
  }
}

const cm = (name: string) => ConfigMap.fromPartial({ metadata: emptyMeta({ name, namespace: "default" }), data: { n: name } });

/**
 * Creates a ConfigMap every 200 ms while `during` runs, then `after` more, and checks that one API
 * watch opened before sees every one of them ADDED, without ending.
 */
async function eventsKeepFlowing(prefix: string, during: () => Promise<void>): Promise<void> {
  const watch = watchAdded(cs, "ConfigMap", "default", String(api.hub.lastRevision));
  const created: string[] = [];
  let stop = false;
  const writer = (async () => {
    for (let n = 0; !stop; n++) {
      const name = `${prefix}-${n}`;
      await cs.resource("ConfigMap").create(cm(name));
      created.push(name);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    await during();
    // A few more after the move: the watch is on its new member.
    const more = created.length + 5;
    await eventually("5 more creates", (why) => created.length >= more || why(`${created.length} created`), 60_000);
  } finally {
    stop = true;
    await writer;
  }
  try {
    await eventually(
      `every created ConfigMap ADDED on the watch opened before`,
      (why) => {
        const ended = watch.ended();
        if (ended) throw new Error(ended);
        const missing = created.filter((n) => !watch.seen.has(n));
        return missing.length === 0 || why(`missing ${missing.slice(0, 5).join(", ")} (${missing.length} of ${created.length})`);
      },
      30_000,
    );
  } finally {
    await watch.stop();
  }
}

test("a watch on a member cut off from the quorum moves to another member within seconds, and events keep flowing", async (t) => {
  const cut = hubMember();
  const cutEndpoint = etcd.endpoints[cut]!;
  let movedAfterMs = 0;
  let cutAt = 0;
  await eventsKeepFlowing("cut", async () => {
    await new Promise((r) => setTimeout(r, 1_000));
    cutAt = Date.now();
    await cutFromPeers(cut);
    try {
      // The member itself says it has lost its leader: the cut is real.
      await eventually(`member ${cut} without a leader`, async (why) => {
        const h = await memberHealth(cut);
        return h.includes('"health":"false"') || why(h);
      }, 30_000);
      // A read sent to the cut member alone is refused as "no leader" (etcd's hasleader metadata on
      // unary calls), not held until its deadline; with other members the refusal is tried on them.
      const alone = new EtcdStorage({ endpoints: [cutEndpoint], timeoutMs: 3_000, memberSyncMs: 0 });
      try {
        // (Once the member itself knows: /health turns false as soon as a read times out, a
        // follower gives up its leader only after an election timeout.)
        await eventually("a read through the cut member alone refused as 'no leader'", async (why) => {
          try {
            await alone.get("ConfigMap", "default", "cut-0");
            return why("it answered");
          } catch (err) {
            return (err instanceof UnavailableError && /no leader/.test(err.message)) || why(String(err));
          }
        }, 30_000);
      } finally {
        alone.close();
      }
      await eventually(
        "the hub's watch off the cut member",
        (why) => (api.storage.watchEndpoints()[0] !== cutEndpoint ? true : why(`still on ${cutEndpoint}`)),
        30_000,
        { everyMs: 50 },
      );
    } finally {
      await reconnect(cut);
    }
  });
  const move = moves.find((m) => m.from === cutEndpoint);
  assert.ok(move, "the move was logged");
  movedAfterMs = move.at - cutAt;
  assert.match(move.reason, /leader/i, "moved because the member lost its leader");
  // etcd cancels after three election timeouts without a leader (500 ms each here) once the
  // member has noticed (another election timeout): about 2-3 s on a quiet machine.
  t.diagnostic(`moved ${movedAfterMs} ms after the cut: ${move.reason}`);
  assert.ok(movedAfterMs < 15_000, `moved ${movedAfterMs} ms after the cut`);
  await eventually(`member ${cut} healthy again`, async (why) => (await memberHealth(cut)).includes('"health":"true"') || why("not yet"), 30_000);
});

test("a watch on a frozen member moves once it is silent despite a progress request", async (t) => {
  const frozen = hubMember();
  const frozenEndpoint = etcd.endpoints[frozen]!;
  const id = etcd.members[frozen]!.containerId;
  let movedAfterMs = 0;
  await eventsKeepFlowing("frozen", async () => {
    await new Promise((r) => setTimeout(r, 1_000));
    const t0 = Date.now();
    await docker(["pause", id]);
    try {
      await eventually(
        "the hub's watch off the frozen member",
        (why) => (api.storage.watchEndpoints()[0] !== frozenEndpoint ? true : why(`still on ${frozenEndpoint}`)),
        30_000,
        { everyMs: 50 },
      );
      movedAfterMs = Date.now() - t0;
      // Unary calls are kept off the frozen member too: a probe holds its breaker open (etcd3's
      // breaker alone counts only UNAVAILABLE, which a frozen member never answers), so no call
      // waits out its 5 s deadline there.
      await eventually("the frozen member kept out of calls", (why) => api.storage.heldMembers().includes(frozenEndpoint) || why(JSON.stringify(api.storage.heldMembers())), 30_000);
      const took: number[] = [];
      for (let i = 0; i < 12; i++) {
        const c0 = Date.now();
        await api.storage.get("ConfigMap", "default", "frozen-0");
        took.push(Date.now() - c0);
      }
      t.diagnostic(`12 reads while frozen: ${took.join(", ")} ms`);
      assert.ok(Math.max(...took) < 4_000, `no read waits on the frozen member: ${took.join(", ")} ms`);
    } finally {
      await docker(["unpause", id]);
    }
  });
  await eventually("the member back in calls once it answers", (why) => !api.storage.heldMembers().includes(frozenEndpoint) || why("still held"), 30_000);
  const move = moves.find((m) => m.from === frozenEndpoint && /silent/.test(m.reason));
  assert.ok(move, `a move for silence was logged (${JSON.stringify(moves)})`);
  // Silence of 3 s with a progress request at 1.5 s: moved 3-4 s after the freeze.
  t.diagnostic(`moved ${movedAfterMs} ms after the freeze: ${move.reason}`);
  assert.ok(movedAfterMs < 15_000, `moved ${movedAfterMs} ms after the freeze`);
});
