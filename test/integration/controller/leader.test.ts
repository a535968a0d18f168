// Two mk-controller-manager processes (the real binary) with leader election on Lease
// mk-system/mk-controller-manager: SIGKILL the leader mid-rollout, the standby takes over, and the
// rollout completes with no duplicate ReplicaSet and the rollout bounds kept on every event.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { retryOnConflict } from "@mk/proto/client";
import { BoundsMonitor } from "./bounds.js";
import { type ControllerEnv, startEnv } from "./env.js";
import { eventually } from "../../harness/wait.js";
import { deployment } from "./objects.js";

const MAIN = join(fileURLToPath(import.meta.url), "..", "..", "..", "..", "..", "controller", "dist", "main.js");
let env: ControllerEnv;
const procs = new Map<string, ChildProcess>();
const logs = new Map<string, string[]>();

function startManager(identity: string): void {
  const p = spawn(
    process.execPath,
    [MAIN, "--server", env.server.address, "--identity", identity, "--lease-duration", "4", "--http-listen", "", "--log-level", "info"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const log: string[] = [];
  logs.set(identity, log);
  p.stdout?.on("data", (b: Buffer) => log.push(b.toString()));
  p.stderr?.on("data", (b: Buffer) => log.push(b.toString()));
  procs.set(identity, p);
}

const holder = async () => (await env.client.leases.get("mk-controller-manager", "mk-system").catch(() => undefined))?.spec?.holderIdentity ?? "";

before(async () => {
  // No controllers in-process: the two spawned managers are the only ones. The simulated nodes
  // heartbeat, so the managers' node lifecycle controller sees them healthy.
  env = await startEnv({ nodes: 4, readyDelayMs: 150, controllers: [], leaseRenewMs: 2000 });
  startManager("cm-a");
  await eventually("cm-a leads", async () => (await holder()) === "cm-a", 20_000);
  startManager("cm-b");
});

after(async () => {
  for (const p of procs.values()) if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 300));
  await env?.stop();
});

test("SIGKILL the leading controller manager mid-rollout: the standby finishes it, bounds kept, no duplicate ReplicaSet", async (t) => {
  await env.client.deployments.create(deployment("ha", { replicas: 12, surge: "25%", unavailable: "25%" }));
  await eventually("12 available", async () => (await env.client.deployments.get("ha", "default")).status?.availableReplicas === 12, 30_000);

  // 12 replicas at 25 %/25 %: maxSurge 3 → ≤ 15; maxUnavailable 3 → ≥ 9 available.
  const mon = new BoundsMonitor(env.client, "ha", { maxTotal: 15, minAvailable: 9 });
  await mon.start();
  mon.arm();
  await retryOnConflict(async () => {
    const d = await env.client.deployments.get("ha", "default");
    d.spec!.template!.spec!.containers[0]!.image = "mk/web:v2";
    await env.client.deployments.update(d);
  });
  // Mid-rollout: the new ReplicaSet has some replicas but not all.
  await eventually("rollout under way", async () => {
    const rss = (await env.client.replicaSets.list({ namespace: "default", labelSelector: "app=ha" })).items;
    const v2 = rss.find((rs) => rs.spec?.template?.spec?.containers[0]?.image === "mk/web:v2");
    return (v2?.spec?.replicas ?? 0) >= 3 && (v2?.spec?.replicas ?? 0) < 12;
  });
  const leader = await holder();
  assert.equal(leader, "cm-a");
  const killedAt = Date.now();
  procs.get("cm-a")?.kill("SIGKILL");
  await eventually("cm-b takes over", async () => (await holder()) === "cm-b", 15_000);
  t.diagnostic(`takeover after ${Date.now() - killedAt} ms`);

  const d = await eventually(
    "rollout complete under cm-b",
    async () => {
      const cur = await env.client.deployments.get("ha", "default");
      const s = cur.status;
      return s && s.observedGeneration >= (cur.metadata?.generation ?? 0) && s.updatedReplicas === 12 && s.replicas === 12 && s.availableReplicas === 12 ? cur : undefined;
    },
    60_000,
  );
  mon.disarm();
  await mon.stop();
  assert.deepEqual(mon.violations.slice(0, 5), [], `bounds over ${mon.events} events`);
  const rss = (await env.client.replicaSets.list({ namespace: "default", labelSelector: "app=ha" })).items;
  assert.equal(rss.length, 2, `ReplicaSets: ${rss.map((rs) => rs.metadata?.name).join(", ")}`);
  assert.equal(d.metadata?.annotations["deployment.kubernetes.io/revision"], "2");
  const pods = (await env.client.pods.list({ namespace: "default", labelSelector: "app=ha" })).items.filter((p) => !p.metadata?.deletionTimestamp);
  assert.equal(pods.length, 12);
});
