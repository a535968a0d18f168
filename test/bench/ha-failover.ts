// Failover figures of an HA control plane (issue 13's benchmarks), on a real `mkctl cluster up --ha
// --nodes 1` (3 etcd members, 2 API servers behind the balancer, 2 schedulers and 2 controller
// managers on the lab/--ha 4 s leases), with load: a ConfigMap create → get → delete every 200 ms
// through the cluster's address runs the whole time. Five simulated nodes (the test harness's fake
// kubelet, a test tool: Node objects, Leases renewed every 2 s, bound pods marked Running) carry the
// scheduler's and controller manager's pods, so 200 pods cost no containers. Each figure is --runs runs:
//
//   etcd     the leading etcd member SIGKILLed (the supervisor restarts it): failed calls of the load
//            loop and its slowest call, from the kill until the member is back and 5 s more
//   apiserver  apiserver-1 or -2 SIGKILLed: until every node's Lease (the kubelet's heartbeat, real
//            and simulated) has been renewed after the kill, as seen through the other server
//   scheduler  the leading scheduler SIGKILLed, then 200 pods created at once (pending: nobody
//            schedules): until the first of them is bound (by the standby)
//   controller-manager  a Deployment of 20 mid-rollout (a new image; pods Ready 1 s after binding),
//            the leading controller manager SIGKILLed: until its first action seen after the kill (a
//            ReplicaSet written or a pod created; writes in the first second are the dead leader's,
//            still in flight, and are not counted); then the rollout completes with one new
//            ReplicaSet only (no duplicate)
//
//   node test/dist/bench/ha-failover.js [--runs 5] [--only etcd,apiserver,scheduler,controller-manager]
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { ConfigMap, Deployment, emptyMeta, Pod } from "@mk/proto";
import { type Clientset, retryOnConflict } from "@mk/proto/client";
import { fetchText, LocalCluster } from "../e2e/cluster.js";
import { FakeKubelet, simulatedNodes } from "../harness/fake-kubelet.js";
import { eventually, sleep } from "../harness/wait.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    only: { type: "string", default: "etcd,apiserver,scheduler,controller-manager" },
  },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs: want a positive integer, got ${JSON.stringify(values.runs)}`);
const ONLY = new Set(values.only.split(","));
const FAKE_LABEL = "mk.bench/fake";


interface Call {
  at: number;
  ms: number;
  failed: boolean;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

const text = fetchText;

function summary(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? (s[(s.length - 1) / 2] ?? 0) : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
  return `median ${median.toFixed(1)}, worst ${(s[s.length - 1] ?? 0).toFixed(1)} (runs: ${xs.map((x) => x.toFixed(1)).join(", ")})`;
}

const cluster = await LocalCluster.create({ name: "hafo", nodes: 1, ha: true });
let fake: FakeKubelet | undefined;
let running = true;
try {
  console.log(`# load before up: ${load()}`);
  const up = await cluster.up(300);
  if (up.code !== 0) throw new Error(`cluster up --ha failed: ${up.stderr}`);
  const cs = cluster.client();
  const component = (name: string) => cluster.component(name);
  const fakeNodes = simulatedNodes(5, { labels: { [FAKE_LABEL]: "true" }, pods: "250" }, `hafake${process.pid}`);
  fake = new FakeKubelet({ client: cs, nodes: fakeNodes, readyDelayMs: 1_000, leaseRenewMs: 2_000 });
  await fake.start();

  // The load: one create → get → delete every 200 ms, each call timed.
  const calls: Call[] = [];
  const timed = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    const t0 = Date.now();
    try {
      const r = await fn();
      calls.push({ at: t0, ms: Date.now() - t0, failed: false });
      return r;
    } catch {
      calls.push({ at: t0, ms: Date.now() - t0, failed: true });
      return undefined;
    }
  };
  const iterations: Promise<void>[] = [];
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const name = `hafo-load-${i}`;
      iterations.push(
        (async () => {
          const cm = ConfigMap.fromPartial({ metadata: emptyMeta({ name, namespace: "default" }), data: { i: String(i) } });
          if (!(await timed(() => cs.resource("ConfigMap").create(cm)))) return;
          await timed(() => cs.resource("ConfigMap").get(name, "default"));
          await timed(() => cs.resource("ConfigMap").delete(name, "default"));
        })(),
      );
      await sleep(200);
    }
  })();

  const backUp = async (name: string, oldPid: number) => {
    await eventually(`${name} back`, async () => {
      const c = component(name);
      if (!c.pid || c.pid === oldPid || !(await text(c.healthUrl))) return false;
      if (name.startsWith("etcd-")) return /^etcd_server_has_leader 1$/m.test(await text(c.healthUrl.replace(/\/health$/, "/metrics")));
      return true;
    }, 120_000, { everyMs: 250 });
  };
  const leaderOf = async (members: string[], isLeader: (m: string) => Promise<boolean>) =>
    await eventually(`a leader among ${members.join(", ")}`, async () => {
      for (const m of members) if (await isLeader(m)) return m;
      return undefined;
    }, 60_000, { everyMs: 100 });
  const etcdLeads = async (m: string) => /^etcd_server_is_leader 1$/m.test(await text(component(m).healthUrl.replace(/\/health$/, "/metrics")));
  const replicaLeads = async (m: string) => (await text(component(m).healthUrl.replace(/\/healthz$/, "/leader"))) === "leader";

  await sleep(5_000);
  const results: string[] = [];

  if (ONLY.has("etcd")) {
    const failed: number[] = [];
    const slowest: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const leader = await leaderOf(["etcd-1", "etcd-2", "etcd-3"], etcdLeads);
      const { pid } = component(leader);
      const from = Date.now();
      process.kill(pid, "SIGKILL");
      await backUp(leader, pid);
      await sleep(5_000);
      // Every call that started in the window, once it has ended.
      await eventually("the window's calls ended", () => calls.filter((c) => c.at >= from).length > 0);
      await sleep(10_000);
      const inWindow = calls.filter((c) => c.at >= from && c.at <= from + 20_000);
      failed.push(inWindow.filter((c) => c.failed).length);
      slowest.push(Math.max(0, ...inWindow.map((c) => c.ms)) / 1000);
      console.log(`# etcd run ${run + 1}: ${leader} killed; ${inWindow.length} calls, ${failed.at(-1)} failed, slowest ${slowest.at(-1)?.toFixed(2)} s; load ${load()}`);
    }
    results.push(`etcd leader loss: failed calls ${summary(failed)}; slowest call (s) ${summary(slowest)}`);
  }

  if (ONLY.has("apiserver")) {
    const resumed: number[] = [];
    const realResumed: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const victim = `apiserver-${(run % 2) + 1}`;
      const before = new Map((await cs.leases.list({ namespace: "mk-node-lease" })).items.map((l) => [l.metadata?.name ?? "", l.spec?.renewTime ?? ""]));
      const { pid } = component(victim);
      const killedAt = Date.now();
      process.kill(pid, "SIGKILL");
      const seen = new Map<string, number>();
      await eventually("every node's Lease renewed after the kill", async (why) => {
        const now = await cs.leases.list({ namespace: "mk-node-lease" });
        for (const l of now.items) {
          const name = l.metadata?.name ?? "";
          if (!seen.has(name) && before.has(name) && l.spec?.renewTime !== before.get(name)) seen.set(name, Date.now() - killedAt);
        }
        const missing = [...before.keys()].filter((n) => !seen.has(n));
        return missing.length === 0 || why(`not yet: ${missing.join(", ")}`);
      }, 120_000, { everyMs: 100 });
      const all = Math.max(...seen.values()) / 1000;
      const realNode = cluster.nodes[0] ?? "";
      resumed.push(Math.max(...[...seen].filter(([n]) => n !== realNode).map(([, ms]) => ms)) / 1000);
      realResumed.push((seen.get(realNode) ?? 0) / 1000);
      console.log(`# apiserver run ${run + 1}: ${victim} killed; every heartbeat resumed after ${all.toFixed(2)} s (simulated nodes ${resumed.at(-1)?.toFixed(2)} s, the real kubelet ${realResumed.at(-1)?.toFixed(2)} s); load ${load()}`);
      await backUp(victim, pid);
      await sleep(3_000);
    }
    results.push(`API server loss, until the simulated kubelets' heartbeats (2 s renewals) resume (s): ${summary(resumed)}`);
    results.push(`API server loss, until the real kubelet's heartbeat (10 s renewals) resumes (s): ${summary(realResumed)}`);
  }

  if (ONLY.has("scheduler")) {
    const firstBind: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const leader = await leaderOf(["scheduler-1", "scheduler-2"], replicaLeads);
      const { pid } = component(leader);
      const killedAt = Date.now();
      process.kill(pid, "SIGKILL");
      const names = Array.from({ length: 200 }, (_, i) => `hafo-s${run}-${i}`);
      const ac = new AbortController();
      let bound = 0;
      const watching = (async () => {
        try {
          for await (const ev of cs.pods.watch({ namespace: "default", labelSelector: `hafo-run=s${run}`, signal: ac.signal })) {
            if (ev.object.spec?.nodeName && !bound) bound = Date.now();
          }
        } catch {
          // aborted
        }
      })();
      const pod = (name: string) =>
        Pod.fromPartial({
          metadata: emptyMeta({ name, namespace: "default", labels: { "hafo-run": `s${run}` } }),
          spec: { nodeSelector: { [FAKE_LABEL]: "true" }, containers: [{ name: "c", image: "mk/pause:1" }], terminationGracePeriodSeconds: 0 },
        });
      for (let i = 0; i < names.length; i += 20) await Promise.all(names.slice(i, i + 20).map((n) => cs.pods.create(pod(n))));
      const createdAfter = (Date.now() - killedAt) / 1000;
      await eventually("a pod bound", () => bound > 0, 120_000, { everyMs: 50 });
      firstBind.push((bound - killedAt) / 1000);
      await eventually("all 200 bound", async () => (await cs.pods.list({ namespace: "default", labelSelector: `hafo-run=s${run}` })).items.every((p) => p.spec?.nodeName), 120_000, { everyMs: 500 });
      ac.abort();
      await watching;
      console.log(`# scheduler run ${run + 1}: ${leader} killed; 200 pods created within ${createdAfter.toFixed(2)} s; first bind ${firstBind.at(-1)?.toFixed(2)} s after the kill; load ${load()}`);
      for (let i = 0; i < names.length; i += 20) await Promise.all(names.slice(i, i + 20).map((n) => cs.pods.delete(n, "default", { gracePeriodSeconds: 0 }).catch(() => undefined)));
      await backUp(leader, pid);
      await sleep(3_000);
    }
    results.push(`scheduler leader loss, 200 pods pending: until the standby's first bind (s): ${summary(firstBind)}`);
  }

  if (ONLY.has("controller-manager")) {
    const firstAction: number[] = [];
    let duplicates = 0;
    for (let run = 0; run < RUNS; run++) {
      const name = `hafo-d${run}`;
      const labels = { app: name };
      const d = Deployment.fromPartial({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: emptyMeta({ name, namespace: "default" }),
        spec: {
          replicas: 20,
          selector: { matchLabels: labels, matchExpressions: [] },
          template: { metadata: emptyMeta({ labels }), spec: { nodeSelector: { [FAKE_LABEL]: "true" }, containers: [{ name: "c", image: "mk/web:v1" }], terminationGracePeriodSeconds: 0 } },
          minReadySeconds: 0,
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: 600,
          paused: false,
        },
      });
      await cs.deployments.create(d);
      const available = (want: string) => async () => {
        const x = await cs.deployments.get(name, "default");
        const s = x.status;
        return s?.observedGeneration === x.metadata?.generation && s?.updatedReplicas === 20 && s?.availableReplicas === 20 && s?.replicas === 20 && x.spec?.template?.spec?.containers[0]?.image === want;
      };
      await eventually(`${name} available`, available("mk/web:v1"), 180_000, { everyMs: 500 });
      await retryOnConflict(async () => {
        const x = await cs.deployments.get(name, "default");
        const c = x.spec?.template?.spec?.containers[0];
        if (c) c.image = "mk/web:v2";
        await cs.deployments.update(x);
      });
      // Mid-rollout: the new ReplicaSet exists and is scaling up.
      await eventually("the new ReplicaSet", async () => (await rsOf(cs, name)).length === 2, 60_000, { everyMs: 100 });
      const leader = await leaderOf(["controller-manager-1", "controller-manager-2"], replicaLeads);
      const { pid } = component(leader);
      const ac = new AbortController();
      let killedAt = 0;
      let acted = 0;
      const note = () => {
        if (killedAt && !acted && Date.now() - killedAt >= 1_000) acted = Date.now();
      };
      const watchers = [
        (async () => {
          for await (const ev of cs.replicaSets.watch({ namespace: "default", labelSelector: `app=${name}`, signal: ac.signal })) if (ev.type !== "BOOKMARK") note();
        })().catch(() => undefined),
        (async () => {
          for await (const ev of cs.pods.watch({ namespace: "default", labelSelector: `app=${name}`, signal: ac.signal, resourceVersion: "0" })) if (ev.type === "ADDED") note();
        })().catch(() => undefined),
      ];
      await sleep(500);
      killedAt = Date.now();
      process.kill(pid, "SIGKILL");
      await eventually("the standby's first action", () => acted > 0, 120_000, { everyMs: 50 });
      firstAction.push((acted - killedAt) / 1000);
      await eventually(`${name} rolled out`, available("mk/web:v2"), 300_000, { everyMs: 500 });
      ac.abort();
      await Promise.all(watchers);
      const rss = await rsOf(cs, name);
      const hashes = rss.map((r) => r.metadata?.labels["pod-template-hash"] ?? "");
      const dup = rss.length - new Set(hashes).size + Math.max(0, rss.length - 2);
      duplicates += dup;
      console.log(`# controller-manager run ${run + 1}: ${leader} killed mid-rollout; first action ${firstAction.at(-1)?.toFixed(2)} s after the kill; ReplicaSets ${rss.length} (${hashes.join(", ")}); load ${load()}`);
      await cs.deployments.delete(name, "default");
      await eventually(`${name}'s pods gone`, async () => (await cs.pods.list({ namespace: "default", labelSelector: `app=${name}` })).items.length === 0, 120_000, { everyMs: 500 });
      await backUp(leader, pid);
      await sleep(3_000);
    }
    results.push(`controller-manager leader loss mid-rollout: until the standby's first action (s): ${summary(firstAction)}; duplicate ReplicaSets: ${duplicates}`);
  }

  running = false;
  await loop;
  await Promise.all(iterations);
  console.log(`# load calls: ${calls.length}, failed ${calls.filter((c) => c.failed).length}; load now ${load()}`);
  for (const r of results) console.log(r);
} finally {
  running = false;
  await fake?.stop();
  await cluster.stop();
}

async function rsOf(cs: Clientset, app: string) {
  return (await cs.replicaSets.list({ namespace: "default", labelSelector: `app=${app}` })).items;
}
