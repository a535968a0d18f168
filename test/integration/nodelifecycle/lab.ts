// Builders and polling for the node lifecycle integration tests.
import { emptyMeta, PodSpec, type ReplicaSet } from "@mk/proto";

export function replicaSet(name: string, replicas: number): ReplicaSet {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: emptyMeta({ name, namespace: "default" }),
    spec: {
      replicas,
      minReadySeconds: 0,
      selector: { matchLabels: labels, matchExpressions: [] },
      template: { metadata: emptyMeta({ labels }), spec: PodSpec.fromPartial({ containers: [{ name: "web", image: "mk/web:v1" }], terminationGracePeriodSeconds: 1 }) },
    },
    status: undefined,
  };
}

/** Polls every 50 ms until check returns a value (not undefined/false), or fails after timeoutMs. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
