// Small builders and helpers shared by the API server's integration tests.
import { type Deployment, emptyMeta, type ObjectMeta, type Pod } from "@mk/proto";
import type { ApiError } from "@mk/proto/client";

export function meta(name: string, more: Partial<ObjectMeta> = {}): ObjectMeta {
  return emptyMeta({ name, namespace: "default", ...more });
}

export function deployment(name: string, opts: { replicas?: number; image?: string; labels?: Record<string, string>; namespace?: string } = {}): Deployment {
  const labels = opts.labels ?? { app: name };
  return {
    apiVersion: "",
    kind: "",
    metadata: meta(name, { namespace: opts.namespace ?? "default" }),
    spec: {
      replicas: opts.replicas,
      selector: { matchLabels: labels, matchExpressions: [] },
      template: {
        metadata: emptyMeta({ labels }),
        spec: podSpec(opts.image ?? "mk/web:v1"),
      },
      minReadySeconds: 0,
      paused: false,
    },
  };
}

export function podSpec(image: string) {
  return {
    containers: [
      {
        name: "web",
        image,
        imagePullPolicy: "",
        command: [],
        args: [],
        workingDir: "",
        env: [],
        ports: [{ name: "", containerPort: 8080, hostPort: 0, protocol: "", hostIp: "" }],
        volumeMounts: [],
        tty: false,
        stdin: false,
        envFrom: [],
      },
    ],
    volumes: [],
    restartPolicy: "",
    nodeName: "",
    nodeSelector: {},
    tolerations: [],
    priorityClassName: "",
    hostNetwork: false,
    hostname: "",
    subdomain: "",
    dnsPolicy: "",
    schedulerName: "",
    initContainers: [],
    serviceAccountName: "",
    imagePullSecrets: [] as { name: string }[],
  };
}

export function pod(name: string, opts: { namespace?: string; nodeName?: string; labels?: Record<string, string>; image?: string; finalizers?: string[] } = {}): Pod {
  const spec = podSpec(opts.image ?? "mk/web:v1");
  spec.nodeName = opts.nodeName ?? "";
  return {
    apiVersion: "",
    kind: "",
    metadata: meta(name, { namespace: opts.namespace ?? "default", labels: opts.labels ?? {}, finalizers: opts.finalizers ?? [] }),
    spec,
  };
}

/** Runs fn and returns the ApiError it throws (failing when it does not). */
export async function failure(fn: () => Promise<unknown>): Promise<ApiError> {
  try {
    await fn();
  } catch (err) {
    return err as ApiError;
  }
  throw new Error("expected the call to fail");
}

