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

/** @deprecated import eventually from test/harness/wait.js (kept for tests written before the merge). */
export { eventually as waitFor } from "../../harness/wait.js";
