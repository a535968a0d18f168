// Deployment controller end to end against a real API server and etcd: scaling, a rolling update and
// an undo with the rollout bounds checked on every watch event, history, pause/resume, Recreate,
// revisionHistoryLimit, and cascading deletion.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Deployment, type ReplicaSet, REVISION_ANNOTATION } from "@mk/proto";
import { retryOnConflict } from "@mk/proto/client";
import { mkctlFor } from "../kubectl/mkctl.js";
import { BoundsMonitor } from "./bounds.js";
import { type ControllerEnv, startEnv } from "./env.js";
import { eventually } from "../../harness/wait.js";
import { deployment } from "./objects.js";

let env: ControllerEnv;
before(async () => {
  env = await startEnv({ nodes: 4, readyDelayMs: 20 });
});
after(async () => {
  await env?.stop();
});

const rsOf = async (app: string): Promise<ReplicaSet[]> => (await env.client.replicaSets.list({ namespace: "default", labelSelector: `app=${app}` })).items;
const imageOf = (o: { spec?: { template?: { spec?: { containers: { image: string }[] } } } } | undefined) => o?.spec?.template?.spec?.containers[0]?.image;

/** Rolled out: the status says every replica is updated and available for the current generation. */
async function waitComplete(name: string, replicas: number, timeoutMs = 30_000): Promise<Deployment> {
  return eventually(
    `deployment ${name} complete at ${replicas}`,
    async () => {
      const d = await env.client.deployments.get(name, "default");
      const s = d.status;
      const ok =
        s &&
        s.observedGeneration >= (d.metadata?.generation ?? 0) &&
        s.updatedReplicas === replicas &&
        s.replicas === replicas &&
        s.availableReplicas === replicas &&
        (await rsOf(name)).reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0) === replicas;
      return ok ? d : undefined;
    },
    timeoutMs,
  );
}

async function mutate(name: string, change: (d: Deployment) => void): Promise<Deployment> {
  return retryOnConflict(async () => {
    const d = await env.client.deployments.get(name, "default");
    change(d);
    return env.client.deployments.update(d);
  });
}

/** `mkctl rollout undo`, the one rollback there is: its output line, or its error line. */
async function undo(name: string, toRevision = 0): Promise<string> {
  const r = await mkctlFor(env.server.address)(["rollout", "undo", "deployment", name, `--to-revision=${toRevision}`]);
  return (r.code === 0 ? r.stdout : r.stderr).trim();
}

test("create 1 → scale 9 → 18 → set image v2 → undo, within the rollout bounds on every event", async () => {
  await env.client.deployments.create(deployment("web", { replicas: 1 }));
  await waitComplete("web", 1);
  const [first] = await rsOf("web");
  assert.match(first?.metadata?.name ?? "", /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(first?.metadata?.labels["pod-template-hash"], first?.metadata?.name.slice(4));
  assert.equal(first?.spec?.selector?.matchLabels["pod-template-hash"], first?.metadata?.labels["pod-template-hash"]);

  // A replicas change only scales: still one ReplicaSet, no new revision.
  await env.client.updateScale("Deployment", "default", "web", 9);
  await waitComplete("web", 9);
  await env.client.updateScale("Deployment", "default", "web", 18);
  await waitComplete("web", 18);
  assert.equal((await rsOf("web")).length, 1);

  // 18 replicas at 25 %/25 %: maxSurge ceil(4.5) = 5 → ≤ 23; maxUnavailable floor(4.5) = 4 → ≥ 14.
  const mon = new BoundsMonitor(env.client, "web", { maxTotal: 23, minAvailable: 14 });
  await mon.start();
  mon.arm();
  await mutate("web", (d) => {
    d.spec!.template!.spec!.containers[0]!.image = "mk/web:v2";
  });
  await waitComplete("web", 18);
  mon.disarm();
  let rss = await rsOf("web");
  assert.equal(rss.length, 2);
  const revisions = rss.map((rs) => rs.metadata?.annotations[REVISION_ANNOTATION]).sort();
  assert.deepEqual(revisions, ["1", "2"], "history shows 2 revisions");

  mon.arm();
  assert.equal(await undo("web"), "deployment.apps/web rolled back");
  const d = await waitComplete("web", 18);
  mon.disarm();
  await mon.stop();
  assert.deepEqual(mon.violations.slice(0, 5), []);
  assert.ok(mon.events > 50, `bounds checked on ${mon.events} events`);
  assert.equal(imageOf(d), "mk/web:v1");
  assert.equal(d.spec?.template?.metadata?.labels["pod-template-hash"], undefined);
  assert.equal(d.metadata?.annotations[REVISION_ANNOTATION], "3");
  rss = await rsOf("web");
  const v1 = rss.find((rs) => imageOf(rs) === "mk/web:v1");
  const v2 = rss.find((rs) => imageOf(rs) === "mk/web:v2");
  assert.equal(v1?.spec?.replicas, 18);
  assert.equal(v1?.metadata?.annotations[REVISION_ANNOTATION], "3");
  assert.equal(v1?.metadata?.annotations["deployment.kubernetes.io/revision-history"], "1");
  assert.equal(v2?.spec?.replicas, 0);
  // Conditions as Kubernetes words them.
  const progressing = d.status?.conditions.find((c) => c.type === "Progressing");
  assert.equal(progressing?.reason, "NewReplicaSetAvailable");
  assert.equal(d.status?.conditions.find((c) => c.type === "Available")?.status, "True");
});

test("events: Scaled up replica set … from 1 to 9", async () => {
  const evs = (await env.client.events.list({ namespace: "default" })).items.filter((e) => e.involvedObject?.name === "web");
  const msgs = evs.map((e) => e.message);
  assert.ok(
    msgs.some((m) => /^Scaled up replica set web-[a-z0-9]+ from 1 to 9$/.test(m)),
    msgs.join("\n"),
  );
  assert.ok(msgs.some((m) => /^Scaled down replica set web-[a-z0-9]+ from \d+ to \d+$/.test(m)));
});

test("undo --to-revision=1 after three rollouts; history in order with change causes", async () => {
  await env.client.deployments.create(deployment("hist", { replicas: 2 }));
  await waitComplete("hist", 2);
  for (const v of ["v2", "v3", "v4"]) {
    await mutate("hist", (d) => {
      d.spec!.template!.spec!.containers[0]!.image = `mk/web:${v}`;
      d.metadata!.annotations["kubernetes.io/change-cause"] = `set image ${v}`;
    });
    await waitComplete("hist", 2);
  }
  let rss = await rsOf("hist");
  const history = rss
    .map((rs) => [Number(rs.metadata?.annotations[REVISION_ANNOTATION]), rs.metadata?.annotations["kubernetes.io/change-cause"] ?? "<none>"] as const)
    .sort((a, b) => a[0] - b[0]);
  assert.deepEqual(history, [
    [1, "<none>"],
    [2, "set image v2"],
    [3, "set image v3"],
    [4, "set image v4"],
  ]);
  assert.equal(await undo("hist", 1), "deployment.apps/hist rolled back");
  const d = await waitComplete("hist", 2);
  assert.equal(imageOf(d), "mk/web:v1");
  assert.equal(d.metadata?.annotations[REVISION_ANNOTATION], "5");
  assert.equal(await undo("hist", 5), "deployment.apps/hist skipped rollback (current template already matches revision 5)");
  rss = await rsOf("hist");
  assert.equal(rss.length, 4, "the v1 ReplicaSet was re-used, not duplicated");
});

test("pause: set image does not roll, replicas still scale; resume rolls", async () => {
  await env.client.deployments.create(deployment("paused", { replicas: 2 }));
  await waitComplete("paused", 2);
  await mutate("paused", (d) => {
    d.spec!.paused = true;
  });
  await eventually("DeploymentPaused condition", async () => (await env.client.deployments.get("paused", "default")).status?.conditions.some((c) => c.reason === "DeploymentPaused"));
  await mutate("paused", (d) => {
    d.spec!.template!.spec!.containers[0]!.image = "mk/web:v2";
    d.spec!.replicas = 4;
  });
  await eventually("scaled to 4 while paused", async () => (await rsOf("paused")).reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0) === 4);
  await new Promise((r) => setTimeout(r, 500));
  let rss = await rsOf("paused");
  assert.equal(rss.length, 1, "no rollout while paused");
  assert.equal(imageOf(rss[0]), "mk/web:v1");
  assert.equal(await undo("paused"), "error: you cannot rollback a paused deployment; resume it first with 'mkctl rollout resume' and try again");
  await mutate("paused", (d) => {
    d.spec!.paused = false;
  });
  await waitComplete("paused", 4);
  rss = await rsOf("paused");
  assert.equal(rss.find((rs) => imageOf(rs) === "mk/web:v2")?.spec?.replicas, 4);
});

test("Recreate: old pods are gone before new ones start", async () => {
  await env.client.deployments.create(deployment("rec", { replicas: 3, strategy: "Recreate" }));
  await waitComplete("rec", 3);
  const mon = new BoundsMonitor(env.client, "rec", { maxTotal: 3, minAvailable: 0 });
  await mon.start();
  mon.arm();
  await mutate("rec", (d) => {
    d.spec!.template!.spec!.containers[0]!.image = "mk/web:v2";
  });
  await waitComplete("rec", 3);
  await mon.stop();
  assert.deepEqual(mon.violations, []);
});

test("revisionHistoryLimit keeps only that many old ReplicaSets", async () => {
  await env.client.deployments.create(deployment("limit", { replicas: 1, revisionHistoryLimit: 1 }));
  await waitComplete("limit", 1);
  for (const v of ["v2", "v3", "v4"]) {
    await mutate("limit", (d) => {
      d.spec!.template!.spec!.containers[0]!.image = `mk/web:${v}`;
    });
    await waitComplete("limit", 1);
  }
  await eventually("only the new one and 1 old ReplicaSet", async () => (await rsOf("limit")).length === 2);
});

test("proportional scaling of a paused rollout: 10 → 15 spreads over both ReplicaSets, resume completes", async () => {
  await env.client.deployments.create(deployment("prop", { replicas: 10, surge: "3", unavailable: "2" }));
  await waitComplete("prop", 10);
  // The new pods must stay unavailable so the rollout stops half way, whatever the machine's speed:
  // minReadySeconds 300 applies to the new ReplicaSet only (the old pods stay available). 10 replicas,
  // surge 3, unavailable 2: old 10 → 8 (8 available ≥ 10 − 2) and new → 13 − 8 = 5, then nothing moves.
  await mutate("prop", (d) => {
    d.spec!.template!.spec!.containers[0]!.image = "mk/web:v2";
    d.spec!.minReadySeconds = 300;
  });
  const sizes = async () => Object.fromEntries((await rsOf("prop")).map((rs) => [imageOf(rs), rs.spec?.replicas ?? 0]));
  await eventually("old 8 and new 5", async () => {
    const s = await sizes();
    return s["mk/web:v1"] === 8 && s["mk/web:v2"] === 5;
  });
  await mutate("prop", (d) => {
    d.spec!.paused = true;
  });
  await mutate("prop", (d) => {
    d.spec!.replicas = 15;
  });
  // Kubernetes' documented example: while paused nothing rolls, but the size changes in proportion.
  // 15 + surge 3 = 18 allowed, 13 now: 5 more, old 8/13 of them → old 11, new 7.
  await eventually("old 11 and new 7", async () => {
    const s = await sizes();
    return s["mk/web:v1"] === 11 && s["mk/web:v2"] === 7;
  });
  await mutate("prop", (d) => {
    d.spec!.paused = false;
    d.spec!.minReadySeconds = 0;
  });
  const d = await waitComplete("prop", 15);
  assert.equal(imageOf(d), "mk/web:v2");
});

test("a new template mid-rollout starts another ReplicaSet; every other one is old; bounds kept", async () => {
  await env.client.deployments.create(deployment("midway", { replicas: 10 }));
  await waitComplete("midway", 10);
  // 10 replicas at 25 %/25 %: maxSurge ceil(2.5) = 3 → ≤ 13; maxUnavailable floor(2.5) = 2 → ≥ 8.
  const mon = new BoundsMonitor(env.client, "midway", { maxTotal: 13, minAvailable: 8 });
  await mon.start();
  mon.arm();
  await mutate("midway", (d) => {
    d.spec!.template!.spec!.containers[0]!.image = "mk/web:v2";
  });
  await eventually("v2 under way", async () => {
    const v2 = (await rsOf("midway")).find((rs) => imageOf(rs) === "mk/web:v2");
    return (v2?.spec?.replicas ?? 0) > 0 && (v2?.spec?.replicas ?? 0) < 10;
  });
  await mutate("midway", (d) => {
    d.spec!.template!.spec!.containers[0]!.image = "mk/web:v3";
  });
  const d = await waitComplete("midway", 10);
  await mon.stop();
  assert.deepEqual(mon.violations.slice(0, 5), []);
  const sizes = Object.fromEntries((await rsOf("midway")).map((rs) => [imageOf(rs), rs.spec?.replicas]));
  assert.deepEqual(sizes, { "mk/web:v1": 0, "mk/web:v2": 0, "mk/web:v3": 10 });
  assert.equal(d.metadata?.annotations[REVISION_ANNOTATION], "3");
});

test("deleting a deployment leaves no ReplicaSet or Pod behind within 5 s", async () => {
  const t0 = Date.now();
  await env.client.deployments.delete("web", "default");
  await eventually(
    "no ReplicaSets or pods of web",
    async () => (await rsOf("web")).length === 0 && (await env.client.pods.list({ namespace: "default", labelSelector: "app=web" })).items.length === 0,
    5_000,
  );
  assert.ok(Date.now() - t0 < 5_000);
});

test("Foreground: the deployment waits for its dependents, then goes", async () => {
  await env.client.deployments.delete("hist", "default", { propagationPolicy: "Foreground" });
  const d = await env.client.deployments.get("hist", "default").catch(() => undefined);
  assert.ok(!d || d.metadata?.finalizers.includes("foregroundDeletion"));
  await eventually(
    "deployment, ReplicaSets and pods gone",
    async () => {
      const gone = await env.client.deployments.get("hist", "default").then(
        () => false,
        () => true,
      );
      return gone && (await rsOf("hist")).length === 0 && (await env.client.pods.list({ namespace: "default", labelSelector: "app=hist" })).items.length === 0;
    },
    10_000,
  );
});

test("Orphan: ReplicaSets and pods stay, without owner references", async () => {
  const rsBefore = await rsOf("paused");
  await env.client.deployments.delete("paused", "default", { propagationPolicy: "Orphan" });
  await eventually("deployment gone", async () => env.client.deployments.get("paused", "default").then(() => false, () => true));
  const rss = await rsOf("paused");
  assert.equal(rss.length, rsBefore.length);
  for (const rs of rss) assert.equal(rs.metadata?.ownerReferences.length, 0);
  const pods = (await env.client.pods.list({ namespace: "default", labelSelector: "app=paused" })).items.filter((p) => !p.metadata?.deletionTimestamp);
  assert.equal(pods.length, 4);
  // Pods keep their ReplicaSet as owner; only the deployment's references went.
  for (const p of pods) assert.equal(p.metadata?.ownerReferences.length, 1);
});
