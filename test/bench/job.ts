// Job controller benchmark: completions/s of one Job (default 1000 completions, parallelism 100) on
// simulated nodes (the test harness's fake kubelet binds pods, reports them Running, and ends them
// with exit 0), beside the ReplicaSet controller's pods/s for a ReplicaSet of the same size in the
// same run. A native etcd, a real mk-apiserver and a real mk-controller-manager process, as
// controller-replicaset.ts runs them. Usage:
//   node test/dist/bench/job.js [--completions 1000] [--parallelism 100] [--nodes 100]
import { parseArgs } from "node:util";
import { emptyMeta, type Job, PodSpec, type ReplicaSet } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { startControlPlane } from "./control-plane.js";
import { FakeKubelet, simulatedNodes } from "../harness/fake-kubelet.js";

const { values } = parseArgs({ options: { completions: { type: "string", default: "1000" }, parallelism: { type: "string", default: "100" }, nodes: { type: "string", default: "100" } } });
const completions = Number(values.completions);
const parallelism = Number(values.parallelism);

const spec = () => PodSpec.fromPartial({ containers: [{ name: "work", image: "mk/busybox:1" }] });

async function replicaSetPodsPerSecond(client: Clientset): Promise<number> {
  const labels = { app: "bench-rs" };
  const rs: ReplicaSet = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: emptyMeta({ name: "bench-rs", namespace: "default" }),
    spec: { replicas: completions, minReadySeconds: 0, selector: { matchLabels: labels, matchExpressions: [] }, template: { metadata: emptyMeta({ labels }), spec: spec() } },
    status: undefined,
  };
  const ac = new AbortController();
  const list = await client.pods.list({ namespace: "default", labelSelector: "app=bench-rs" });
  let seen = 0;
  const t0 = performance.now();
  const allSeen = (async () => {
    for await (const ev of client.pods.watch({ namespace: "default", labelSelector: "app=bench-rs", resourceVersion: list.resourceVersion, signal: ac.signal })) {
      if (ev.type === "ADDED" && ++seen === completions) return;
    }
  })();
  await client.replicaSets.create(rs);
  await allSeen;
  const ms = performance.now() - t0;
  ac.abort();
  return (completions * 1000) / ms;
}

async function jobCompletionsPerSecond(client: Clientset): Promise<{ perSecond: number; ms: number }> {
  const job: Job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: emptyMeta({ name: "bench-job", namespace: "default" }),
    spec: { completions, parallelism, completionMode: "NonIndexed", selector: undefined, template: { metadata: emptyMeta({ labels: { app: "bench-job" } }), spec: { ...spec(), restartPolicy: "Never" } } },
    status: undefined,
  };
  const t0 = performance.now();
  await client.resource("Job").create(job);
  for (;;) {
    const cur = await client.resource("Job").get("bench-job", "default");
    if (cur.status?.conditions.some((c) => c.type === "Complete" && c.status === "True")) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const ms = performance.now() - t0;
  return { perSecond: (completions * 1000) / ms, ms };
}

async function main(): Promise<void> {
  const cp = await startControlPlane(["--controllers", "replicaset,job"]);
  let kubelet: FakeKubelet | undefined;
  try {
    const client = connect({ server: cp.server });
    kubelet = new FakeKubelet({ client, nodes: simulatedNodes(Number(values.nodes), { pods: "1100" }), autoBind: true, exitCodeFor: () => 0 });
    await kubelet.start();
    const rsRate = await replicaSetPodsPerSecond(client);
    // The ReplicaSet's pods stay: both numbers come from one cluster under the same load.
    const job = await jobCompletionsPerSecond(client);
    const f = (x: number) => x.toFixed(0);
    console.log(`replicaset: ${completions} pods created at ${f(rsRate)} pods/s`);
    console.log(`job: ${completions} completions (parallelism ${parallelism}) in ${f(job.ms)} ms = ${f(job.perSecond)} completions/s = ${(job.perSecond / rsRate).toFixed(2)}× the ReplicaSet's pods/s`);
    await kubelet.stop();
    kubelet = undefined;
    client.close();
  } finally {
    await kubelet?.stop();
    await cp.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
