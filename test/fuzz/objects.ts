// One valid object of every kind: the fuzzer's seeds. Each is created once before the run (proving
// it valid) and then mutated one fault at a time, so a refusal can only come from the fault.
import { type AnyObject, ConfigMap, CronJob, Deployment, EndpointSlice, Endpoints, Event, emptyMeta, Job, type KindName, type KindTypes, Lease, Namespace, Node, Pod, ReplicaSet, Secret, Service } from "@mk/proto";

export const FUZZ_NAMESPACE = "default";

const podSpec = () => ({
  containers: [
    {
      name: "web",
      image: "mk/web:v1",
      imagePullPolicy: "IfNotPresent",
      command: ["/web"],
      args: ["--port", "80"],
      env: [{ name: "MODE", value: "fuzz" }],
      ports: [{ name: "http", containerPort: 80, protocol: "TCP" }],
      resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
      volumeMounts: [{ name: "data", mountPath: "/data" }],
      livenessProbe: { httpGet: { path: "/", port: "80" }, periodSeconds: 10, failureThreshold: 3 },
    },
  ],
  volumes: [{ name: "data", emptyDir: { sizeLimit: "1Gi" } }],
  restartPolicy: "Always",
  terminationGracePeriodSeconds: 30,
  nodeSelector: { disk: "ssd" },
  tolerations: [{ key: "dedicated", operator: "Equal", value: "fuzz", effect: "NoSchedule" }],
});

const labels = { app: "fuzz", tier: "web" };

/** Plain object trees, in ts-proto's property names; `valid(kind, name)` types them. */
const SEEDS: { [K in KindName]: (name: string) => KindTypes[K] } = {
  Namespace: (name) => Namespace.fromPartial({ apiVersion: "v1", kind: "Namespace", metadata: emptyMeta({ name, labels }) }),
  Node: (name) =>
    Node.fromPartial({
      apiVersion: "v1",
      kind: "Node",
      metadata: emptyMeta({ name, labels: { "kubernetes.io/hostname": name } }),
      spec: { unschedulable: true, taints: [{ key: "fuzz", value: "yes", effect: "NoSchedule", timeAdded: "" }], podCidr: "10.244.9.0/24", providerId: "" },
      status: {
        capacity: { cpu: "2", memory: "4Gi", pods: "110" },
        allocatable: { cpu: "2", memory: "4Gi", pods: "110" },
        conditions: [],
        addresses: [{ type: "InternalIP", address: "10.0.0.9" }],
      },
    }),
  Pod: (name) =>
    Pod.fromPartial({
      apiVersion: "v1",
      kind: "Pod",
      metadata: emptyMeta({ name, namespace: FUZZ_NAMESPACE, labels, annotations: { "fuzz.mk.io/seed": "1" } }),
      spec: podSpec(),
    }),
  ReplicaSet: (name) =>
    ReplicaSet.fromPartial({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: emptyMeta({ name, namespace: FUZZ_NAMESPACE, labels }),
      spec: { replicas: 0, minReadySeconds: 0, selector: { matchLabels: { app: "fuzz" }, matchExpressions: [] }, template: { metadata: emptyMeta({ labels }), spec: podSpec() } },
    }),
  Deployment: (name) =>
    Deployment.fromPartial({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: emptyMeta({ name, namespace: FUZZ_NAMESPACE, labels }),
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: "fuzz" }, matchExpressions: [{ key: "tier", operator: "In", values: ["web"] }] },
        template: { metadata: emptyMeta({ labels }), spec: podSpec() },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "1" } },
        minReadySeconds: 0,
        revisionHistoryLimit: 3,
        paused: true,
        progressDeadlineSeconds: 600,
      },
    }),
  ConfigMap: (name) =>
    ConfigMap.fromPartial({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: emptyMeta({ name, namespace: FUZZ_NAMESPACE, labels }),
      data: { "app.properties": "mode=fuzz\n", MODE: "fuzz" },
      binaryData: { "blob.bin": Buffer.from([0, 1, 2, 255]) },
    }),
  Secret: (name) =>
    Secret.fromPartial({
      apiVersion: "v1",
      kind: "Secret",
      metadata: emptyMeta({ name, namespace: FUZZ_NAMESPACE, labels }),
      type: "Opaque",
      data: { password: Buffer.from("fuzz-not-a-secret") },
    }),
  Service: (name) =>
    Service.fromPartial({
      apiVersion: "v1",
      kind: "Service",
      metadata: emptyMeta({ name, namespace: FUZZ_NAMESPACE, labels }),
      spec: { type: "ClusterIP", selector: { app: "fuzz" }, ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: "http" }] },
    }),
  Endpoints: (name) =>
    Endpoints.fromPartial({
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: emptyMeta({ name, namespace: FUZZ_NAMESPACE, labels }),
      subsets: [{ addresses: [{ ip: "10.244.1.5", hostname: "" }], notReadyAddresses: [], ports: [{ name: "http", port: 8080, protocol: "TCP" }] }],
    }),
  EndpointSlice: (name) =>
    EndpointSlice.fromPartial({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: emptyMeta({ name, namespace: FUZZ_NAMESPACE, labels: { ...labels, "kubernetes.io/service-name": "fuzz" } }),
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.244.1.5"], conditions: { ready: true, serving: true, terminating: false } }],
      ports: [{ name: "http", protocol: "TCP", port: 8080 }],
    }),
  Job: (name) =>
    Job.fromPartial({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: emptyMeta({ name, namespace: FUZZ_NAMESPACE, labels }),
      // suspended: the seed never runs a pod, whatever controllers watch the fuzzed server.
      spec: { parallelism: 1, completions: 1, backoffLimit: 2, suspend: true, template: { metadata: emptyMeta({ labels }), spec: { ...podSpec(), restartPolicy: "Never" } } },
    }),
  CronJob: (name) =>
    CronJob.fromPartial({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: emptyMeta({ name, namespace: FUZZ_NAMESPACE, labels }),
      // suspended: the seed never makes a Job, whatever controllers watch the fuzzed server.
      spec: {
        schedule: "*/5 * * * *",
        timeZone: "Europe/Paris",
        concurrencyPolicy: "Forbid",
        suspend: true,
        startingDeadlineSeconds: 60,
        successfulJobsHistoryLimit: 2,
        failedJobsHistoryLimit: 1,
        jobTemplate: { metadata: emptyMeta({ labels }), spec: { backoffLimit: 1, template: { metadata: emptyMeta({ labels }), spec: { ...podSpec(), restartPolicy: "OnFailure" } } } },
      },
    }),
  Lease: (name) =>
    Lease.fromPartial({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: emptyMeta({ name, namespace: FUZZ_NAMESPACE }),
      spec: { holderIdentity: "fuzz-holder", leaseDurationSeconds: 15, acquireTime: "", renewTime: "", leaseTransitions: 0 },
    }),
  Event: (name) =>
    Event.fromPartial({
      apiVersion: "v1",
      kind: "Event",
      metadata: emptyMeta({ name, namespace: FUZZ_NAMESPACE }),
      involvedObject: { apiVersion: "v1", kind: "Pod", namespace: FUZZ_NAMESPACE, name: "fuzz-pod", uid: "", resourceVersion: "", fieldPath: "" },
      reason: "Fuzzing",
      message: "a seed event",
      source: { component: "fuzz", host: "" },
      firstTimestamp: "2026-12-04T00:00:00Z",
      lastTimestamp: "2026-12-04T00:00:00Z",
      count: 1,
      type: "Normal",
      reportingComponent: "fuzz",
      reportingInstance: "",
    }),
};

/** A fresh valid object of the kind. */
export function valid<K extends KindName>(kind: K, name: string): KindTypes[K] {
  return SEEDS[kind](name);
}

/** The name of the seed object of each kind, created before the run (Update, Delete, Bind target it). */
export function seedName(kind: KindName): string {
  return `fuzz-${kind.toLowerCase()}`;
}

export const SEEDED_KINDS = Object.keys(SEEDS) as KindName[];

/** A deep copy as a plain tree the mutators can walk. */
export function tree(obj: AnyObject): Record<string, unknown> {
  return structuredClone(obj) as unknown as Record<string, unknown>;
}
