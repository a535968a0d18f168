// Builders for the controller integration tests.
import { type Deployment, emptyMeta, type Pod, PodSpec, type ReplicaSet } from "@mk/proto";

export function podSpec(image: string): PodSpec {
  return PodSpec.fromPartial({ containers: [{ name: "web", image }], terminationGracePeriodSeconds: 1 });
}

export function replicaSet(name: string, replicas: number, labels: Record<string, string> = { app: name }): ReplicaSet {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: emptyMeta({ name, namespace: "default" }),
    spec: { replicas, minReadySeconds: 0, selector: { matchLabels: labels, matchExpressions: [] }, template: { metadata: emptyMeta({ labels }), spec: podSpec("mk/web:v1") } },
    status: undefined,
  };
}

export function deployment(
  name: string,
  o: { replicas?: number; image?: string; surge?: string; unavailable?: string; strategy?: string; revisionHistoryLimit?: number; progressDeadlineSeconds?: number } = {},
): Deployment {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: emptyMeta({ name, namespace: "default" }),
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: labels, matchExpressions: [] },
      template: { metadata: emptyMeta({ labels }), spec: podSpec(o.image ?? "mk/web:v1") },
      strategy:
        o.strategy === "Recreate"
          ? { type: "Recreate", rollingUpdate: undefined }
          : { type: "RollingUpdate", rollingUpdate: { maxSurge: o.surge ?? "25%", maxUnavailable: o.unavailable ?? "25%" } },
      minReadySeconds: 0,
      paused: false,
      revisionHistoryLimit: o.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
    },
    status: undefined,
  };
}

export function orphanPod(name: string, labels: Record<string, string>): Pod {
  return { apiVersion: "v1", kind: "Pod", metadata: emptyMeta({ name, namespace: "default", labels }), spec: podSpec("mk/web:v1"), status: undefined };
}

export const isReady = (p: Pod) => p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false;
