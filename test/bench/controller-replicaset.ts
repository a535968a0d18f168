// ReplicaSet controller benchmark: pods/s created for one ReplicaSet of 1000. A native etcd, a real
// mk-apiserver process and a real mk-controller-manager process (no leader election), as `mkctl
// cluster up` runs them; the clock starts when the ReplicaSet is created and stops when the watch
// has seen the 1000th pod (and, separately, when status.replicas reports 1000). Usage:
//   node test/dist/bench/controller-replicaset.js [--replicas 1000] [--runs 3]
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { emptyMeta, PodSpec, type ReplicaSet } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { freePort } from "../harness/etcd.js";
import { startNativeEtcd } from "../harness/etcd-native.js";

const { values } = parseArgs({ options: { replicas: { type: "string", default: "1000" }, runs: { type: "string", default: "3" } } });
const replicas = Number(values.replicas);
const runs = Number(values.runs);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (i > 300) throw new Error(`${url} did not answer`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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
  const etcd = await startNativeEtcd();
  const port = await freePort();
  const httpPort = await freePort();
  const cmHttp = await freePort();
  const procs: ChildProcess[] = [];
  try {
    procs.push(
      spawn(process.execPath, [resolve(root, "apiserver/dist/main.js"), "--etcd-servers", etcd.endpoint, "--listen", `127.0.0.1:${port}`, "--http-listen", `127.0.0.1:${httpPort}`, "--log-level", "warn"], {
        stdio: ["ignore", "inherit", "inherit"],
      }),
    );
    await waitHttp(`http://127.0.0.1:${httpPort}/readyz`);
    procs.push(
      spawn(process.execPath, [resolve(root, "controller/dist/main.js"), "--server", `127.0.0.1:${port}`, "--no-leader-elect", "--http-listen", `127.0.0.1:${cmHttp}`, "--log-level", "warn"], {
        stdio: ["ignore", "inherit", "inherit"],
      }),
    );
    await waitHttp(`http://127.0.0.1:${cmHttp}/healthz`);
    const client = connect({ server: `127.0.0.1:${port}` });
    const f = (x: number) => x.toFixed(0);
    for (let i = 0; i < runs; i++) {
      const { podsMs, statusMs } = await runOnce(client, `bench-${i}`);
      console.log(
        `run ${i + 1}: ${replicas} pods created in ${f(podsMs)} ms = ${f((replicas * 1000) / podsMs)} pods/s; status.replicas=${replicas} after ${f(statusMs)} ms`,
      );
    }
    client.close();
  } finally {
    for (const p of procs.reverse()) p.kill("SIGTERM");
    await etcd.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
