// Small builders for the scheduler's unit and integration tests: pods and nodes as the API returns them.
import { emptyMeta, Node, type OwnerReference, Pod, type Taint, type Toleration } from "@mk/proto";

export interface PodOpts {
  namespace?: string;
  uid?: string;
  cpu?: string;
  memory?: string;
  hostPort?: number;
  /** The address the host port binds (Kubernetes' hostIP); unset means every address, 0.0.0.0. */
  hostIp?: string;
  /** The host port's protocol; TCP when unset. */
  protocol?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Partial<Toleration>[];
  priority?: number;
  owner?: OwnerReference;
  nodeName?: string;
  creationTimestamp?: string;
}

export function makePod(name: string, o: PodOpts = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: emptyMeta({
      name,
      namespace: o.namespace ?? "default",
      uid: o.uid ?? `uid-${name}`,
      ownerReferences: o.owner ? [o.owner] : [],
      creationTimestamp: o.creationTimestamp ?? "",
    }),
    spec: {
      containers: [
        {
          name: "app",
          image: "127.0.0.1:5000/mk/web:v1",
          resources: { requests, limits: {} },
          ports: o.hostPort ? [{ containerPort: 8080, hostPort: o.hostPort, hostIp: o.hostIp ?? "", protocol: o.protocol ?? "TCP" }] : [],
        },
      ],
      nodeSelector: o.nodeSelector ?? {},
      tolerations: (o.tolerations ?? []).map((t) => ({ key: "", operator: "", value: "", effect: "", ...t })),
      priority: o.priority,
      nodeName: o.nodeName ?? "",
    },
    status: { phase: "Pending" },
  });
}

export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Partial<Taint>[];
  unschedulable?: boolean;
  ready?: boolean;
}

export function makeNode(name: string, o: NodeOpts = {}): Node {
  const alloc = { cpu: o.cpu ?? "4", memory: o.memory ?? "8Gi", pods: o.pods ?? "110" };
  return Node.fromPartial({
    apiVersion: "v1",
    kind: "Node",
    metadata: emptyMeta({ name, labels: { "kubernetes.io/hostname": name, ...o.labels } }),
    spec: {
      unschedulable: o.unschedulable ?? false,
      taints: (o.taints ?? []).map((t) => ({ key: "", value: "", effect: "NoSchedule", timeAdded: "", ...t })),
    },
    status: {
      capacity: alloc,
      allocatable: alloc,
      conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True", reason: "", message: "" }],
    },
  });
}

export function rsOwner(name: string, uid = `rs-uid-${name}`): OwnerReference {
  return { apiVersion: "apps/v1", kind: "ReplicaSet", name, uid, controller: true, blockOwnerDeletion: true };
}
