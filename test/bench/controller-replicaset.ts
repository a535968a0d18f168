// ReplicaSet controller benchmark: pods/s created for one ReplicaSet of 1000. A native etcd, a real
// mk-apiserver process and a real mk-controller-manager process (no leader election), as `mkctl
// cluster up` runs them; the clock starts when the ReplicaSet is created and stops when the watch
// has seen the 1000th pod (and, separately, when status.replicas reports 1000). Usage:
//   node test/dist/bench/controller-replicaset.js [--replicas 1000] [--runs 3]
import { parseArgs } from "node:util";
import { emptyMeta, PodSpec, type ReplicaSet } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { startControlPlane } from "./control-plane.js";

const { values } = parseArgs({ options: { replicas: { type: "string", default: "1000" }, runs: { type: "string", default: "3" } } });
const replicas = Number(values.replicas);
const runs = Number(values.runs);

function rs(name: string): ReplicaSet {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: emptyMeta({ name, namespace: "default" }),
    spec: {
      replicas,
      minReadySeconds: 0,
      selector: { matchLabels: labels, matchExpressions: [] },
      template: { metadata: emptyMeta({ labels }), spec: PodSpec.fromPartial({ containers: [{ name: "web", image: "mk/web:v1" }] }) },
    },
    status: undefined,
  };
}

async function runOnce(client: Clientset, name: string): Promise<{ podsMs: number; statusMs: number }> {
  const ac = new AbortController();
  const list = await client.pods.list({ namespace: "default", labelSelector: `app=${name}` });
  let seen = 0;
  let podsMs = 0;
  const t0 = performance.now();
  const allSeen = (async () => {
    for await (const ev of client.pods.watch({ namespace: "default", labelSelector: `app=${name}`, resourceVersion: list.resourceVersion, signal: ac.signal })) {
      if (ev.type === "ADDED" && ++seen === replicas) {
        podsMs = performance.now() - t0;
        return;
      }
    }
  })();
  await client.replicaSets.create(rs(name));
  await allSeen;
  for (;;) {
    const cur = await client.replicaSets.get(name, "default");
    if (cur.status?.replicas === replicas) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const statusMs = performance.now() - t0;
  ac.abort();
  return { podsMs, statusMs };
}

async function main(): Promise<void> {
  const cp = await startControlPlane();
  try {
    const client = connect({ server: cp.server });
    const f = (x: number) => x.toFixed(0);
    for (let i = 0; i < runs; i++) {
      const { podsMs, statusMs } = await runOnce(client, `bench-${i}`);
      console.log(
        `run ${i + 1}: ${replicas} pods created in ${f(podsMs)} ms = ${f((replicas * 1000) / podsMs)} pods/s; status.replicas=${replicas} after ${f(statusMs)} ms`,
      );
    }
    client.close();
  } finally {
    await cp.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
