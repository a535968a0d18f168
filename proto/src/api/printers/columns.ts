// The Table columns of each kind, as Kubernetes' printers define them (pkg/printers/internalversion):
// a TableColumnDefinition (name, type, format, priority, description) and the function that fills the
// cell. Priority 0 columns always show; priority 1 only with `-o wide`. mkctl renders them today; the
// API server's HTTP edge can serve the same definitions and cells as a meta.k8s.io Table.
import type { Deployment, ReplicaSet } from "../../gen/mk/v1/apps.js";
import type { Lease } from "../../gen/mk/v1/coordination.js";
import type { ConfigMap, Container, Event, Namespace, Node, Pod, Secret } from "../../gen/mk/v1/core.js";
import type { EndpointSlice } from "../../gen/mk/v1/discovery.js";
import type { Endpoints, Service } from "../../gen/mk/v1/service.js";
import type { AnyObject, KindName } from "../kinds.js";
import { since } from "./age.js";
import { eventLastSeen, formatSelector, nodeRoles, nodeStatus } from "./format.js";
import type { CronJob, Job } from "../../gen/mk/v1/batch.js";
import { jobStatusText } from "../batch/index.js";
import { jobCompletions, jobDuration } from "./job.js";
import { podSummary } from "./podstatus.js";
import { endpointsList, servicePorts, sliceEndpoints, slicePorts } from "./service.js";

export interface CellContext {
  /** The clock ages are measured against, in ms since the epoch. */
  now: number;
}

export interface TableColumn<T> {
  /** The header, as kubectl prints it (`UP-TO-DATE`, `NOMINATED NODE`). */
  name: string;
  /** OpenAPI type of the cell: string, integer, number, boolean, date. */
  type: "string" | "integer";
  /** "name" marks the column holding the object's name. */
  format?: "name";
  /** 0: always shown; 1: only with -o wide. */
  priority: 0 | 1;
  description: string;
  cell(obj: T, ctx: CellContext): string;
}

const none = (s: string | undefined): string => (s ? s : "<none>");
const unknown = (s: string | undefined) => (s ? s : "<unknown>");

const containerNames = (cs: readonly Container[] | undefined) => (cs ?? []).map((c) => c.name).join(",");
const containerImages = (cs: readonly Container[] | undefined) => (cs ?? []).map((c) => c.image).join(",");

const NAME: TableColumn<AnyObject> = {
  name: "NAME",
  type: "string",
  format: "name",
  priority: 0,
  description: "Name must be unique within a namespace.",
  cell: (o) => o.metadata?.name ?? "",
};
const AGE: TableColumn<AnyObject> = {
  name: "AGE",
  type: "string",
  priority: 0,
  description: "The time since the object was created (metadata.creationTimestamp).",
  cell: (o, c) => since(o.metadata?.creationTimestamp, c.now),
};

/** CONTAINERS, IMAGES and SELECTOR of a workload (wide). */
function workloadColumns<T extends Deployment | ReplicaSet>(): TableColumn<T>[] {
  return [
    { name: "CONTAINERS", type: "string", priority: 1, description: "Names of each container in the template.", cell: (o) => containerNames(o.spec?.template?.spec?.containers) },
    { name: "IMAGES", type: "string", priority: 1, description: "Images referenced by each container in the template.", cell: (o) => containerImages(o.spec?.template?.spec?.containers) },
    { name: "SELECTOR", type: "string", priority: 1, description: "Label selector for the pods.", cell: (o) => formatSelector(o.spec?.selector) },
  ];
}

const DEPLOYMENT: TableColumn<Deployment>[] = [
  NAME,
  { name: "READY", type: "string", priority: 0, description: "Number of ready pods out of the desired replicas.", cell: (d) => `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}` },
  { name: "UP-TO-DATE", type: "integer", priority: 0, description: "Total number of pods with the desired template.", cell: (d) => String(d.status?.updatedReplicas ?? 0) },
  { name: "AVAILABLE", type: "integer", priority: 0, description: "Total number of available pods (ready for at least minReadySeconds).", cell: (d) => String(d.status?.availableReplicas ?? 0) },
  AGE,
  ...workloadColumns<Deployment>(),
];

const REPLICASET: TableColumn<ReplicaSet>[] = [
  NAME,
  { name: "DESIRED", type: "integer", priority: 0, description: "Number of desired pods.", cell: (r) => String(r.spec?.replicas ?? 0) },
  { name: "CURRENT", type: "integer", priority: 0, description: "Number of pods that exist.", cell: (r) => String(r.status?.replicas ?? 0) },
  { name: "READY", type: "integer", priority: 0, description: "Number of ready pods.", cell: (r) => String(r.status?.readyReplicas ?? 0) },
  AGE,
  ...workloadColumns<ReplicaSet>(),
];

const POD: TableColumn<Pod>[] = [
  NAME,
  { name: "READY", type: "string", priority: 0, description: "Ready containers out of all containers.", cell: (p, c) => podSummary(p, c.now).ready },
  { name: "STATUS", type: "string", priority: 0, description: "The pod's phase, or the reason of its first container that is not running.", cell: (p, c) => podSummary(p, c.now).status },
  { name: "RESTARTS", type: "string", priority: 0, description: "Container restarts, with the age of the last one.", cell: (p, c) => podSummary(p, c.now).restarts },
  AGE,
  { name: "IP", type: "string", priority: 1, description: "The pod's IP address.", cell: (p) => none(p.status?.podIps[0]?.ip || p.status?.podIp) },
  { name: "NODE", type: "string", priority: 1, description: "The node the pod is bound to.", cell: (p) => none(p.spec?.nodeName) },
  { name: "NOMINATED NODE", type: "string", priority: 1, description: "The node nominated for the pod by preemption.", cell: (p) => none(p.status?.nominatedNodeName) },
  { name: "READINESS GATES", type: "string", priority: 1, description: "Readiness gates met out of those declared.", cell: () => "<none>" },
];

const nodeAddress = (n: Node, type: string) => none(n.status?.addresses.find((a) => a.type === type)?.address);

const NODE: TableColumn<Node>[] = [
  NAME,
  { name: "STATUS", type: "string", priority: 0, description: "The node's Ready condition, and SchedulingDisabled when cordoned.", cell: nodeStatus },
  { name: "ROLES", type: "string", priority: 0, description: "The node's roles, from its node-role labels.", cell: nodeRoles },
  AGE,
  { name: "VERSION", type: "string", priority: 0, description: "Kubelet version reported by the node.", cell: (n) => n.status?.nodeInfo?.kubeletVersion ?? "" },
  { name: "INTERNAL-IP", type: "string", priority: 1, description: "The node's InternalIP address.", cell: (n) => nodeAddress(n, "InternalIP") },
  { name: "EXTERNAL-IP", type: "string", priority: 1, description: "The node's ExternalIP address.", cell: (n) => nodeAddress(n, "ExternalIP") },
  { name: "OS-IMAGE", type: "string", priority: 1, description: "OS image reported by the node.", cell: (n) => unknown(n.status?.nodeInfo?.osImage) },
  { name: "KERNEL-VERSION", type: "string", priority: 1, description: "Kernel version reported by the node.", cell: (n) => unknown(n.status?.nodeInfo?.kernelVersion) },
  { name: "CONTAINER-RUNTIME", type: "string", priority: 1, description: "Container runtime version reported by the node.", cell: (n) => unknown(n.status?.nodeInfo?.containerRuntimeVersion) },
];

const NAMESPACE: TableColumn<Namespace>[] = [
  NAME,
  { name: "STATUS", type: "string", priority: 0, description: "The namespace's phase.", cell: (n) => n.status?.phase ?? "" },
  AGE,
];

const eventObject = (e: Event) => {
  const kind = (e.involvedObject?.kind ?? "").toLowerCase();
  return e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
};

const EVENT: TableColumn<Event>[] = [
  { name: "LAST SEEN", type: "string", priority: 0, description: "Time since the event was last seen, and how often.", cell: (e, c) => eventLastSeen(e, c.now) },
  { name: "TYPE", type: "string", priority: 0, description: "Normal or Warning.", cell: (e) => e.type },
  { name: "REASON", type: "string", priority: 0, description: "Why the event happened, in one word.", cell: (e) => e.reason },
  { name: "OBJECT", type: "string", priority: 0, description: "The object the event is about.", cell: eventObject },
  { name: "SUBOBJECT", type: "string", priority: 1, description: "The part of the object (a container) the event is about.", cell: (e) => e.involvedObject?.fieldPath ?? "" },
  {
    name: "SOURCE",
    type: "string",
    priority: 1,
    description: "The component and host that reported the event.",
    cell: (e) => {
      const c = e.source?.component || e.reportingComponent;
      const h = e.source?.host || e.reportingInstance;
      return h ? `${c}, ${h}` : c;
    },
  },
  { name: "MESSAGE", type: "string", priority: 0, description: "What happened, for a person.", cell: (e) => e.message.trim() },
  { name: "FIRST SEEN", type: "string", priority: 1, description: "Time since the event was first seen.", cell: (e, c) => since(e.firstTimestamp || e.metadata?.creationTimestamp, c.now) },
  { name: "COUNT", type: "integer", priority: 1, description: "How many times the event happened.", cell: (e) => String(e.count) },
  { name: "NAME", type: "string", format: "name", priority: 1, description: "The event's name.", cell: (e) => e.metadata?.name ?? "" },
];

const LEASE: TableColumn<Lease>[] = [
  NAME,
  { name: "HOLDER", type: "string", priority: 0, description: "The identity holding the lease.", cell: (l) => l.spec?.holderIdentity ?? "" },
  AGE,
];

// DATA counts keys, as kubectl does: a ConfigMap's data and binaryData together, a Secret's data.
const CONFIGMAP: TableColumn<ConfigMap>[] = [
  NAME,
  { name: "DATA", type: "integer", priority: 0, description: "Number of keys (data and binaryData).", cell: (c) => String(Object.keys(c.data).length + Object.keys(c.binaryData).length) },
  AGE,
];

const SECRET: TableColumn<Secret>[] = [
  NAME,
  { name: "TYPE", type: "string", priority: 0, description: "The secret's type (Opaque, kubernetes.io/tls …).", cell: (s) => s.type },
  { name: "DATA", type: "integer", priority: 0, description: "Number of keys.", cell: (s) => String(Object.keys(s.data).length) },
  AGE,
];

const SERVICE: TableColumn<Service>[] = [
  NAME,
  { name: "TYPE", type: "string", priority: 0, description: "The type of the service.", cell: (s) => s.spec?.type || "ClusterIP" },
  { name: "CLUSTER-IP", type: "string", priority: 0, description: "The virtual address the service answers on.", cell: (s) => none(s.spec?.clusterIp) },
  { name: "EXTERNAL-IP", type: "string", priority: 0, description: "Addresses outside the cluster (none in mk).", cell: (s) => none(s.status?.loadBalancer?.ingress.map((i) => i.ip).join(",")) },
  { name: "PORT(S)", type: "string", priority: 0, description: "The ports, with node ports, and protocols.", cell: servicePorts },
  AGE,
  { name: "SELECTOR", type: "string", priority: 1, description: "The labels of the pods behind the service.", cell: (s) => formatSelector({ matchLabels: s.spec?.selector ?? {}, matchExpressions: [] }) },
];

const ENDPOINTS: TableColumn<Endpoints>[] = [
  NAME,
  { name: "ENDPOINTS", type: "string", priority: 0, description: "The ready addresses and ports.", cell: (e: Endpoints) => endpointsList(e) },
  AGE,
];

const ENDPOINTSLICE: TableColumn<EndpointSlice>[] = [
  NAME,
  { name: "ADDRESSTYPE", type: "string", priority: 0, description: "The type of the addresses.", cell: (s) => s.addressType },
  { name: "PORTS", type: "string", priority: 0, description: "The ports of the slice.", cell: slicePorts },
  { name: "ENDPOINTS", type: "string", priority: 0, description: "The addresses of the slice.", cell: sliceEndpoints },
  AGE,
];

const JOB: TableColumn<Job>[] = [
  NAME,
  { name: "STATUS", type: "string", priority: 0, description: "Status of the job.", cell: (j) => jobStatusText(j) },
  { name: "COMPLETIONS", type: "string", priority: 0, description: "The completion status of the job.", cell: jobCompletions },
  { name: "DURATION", type: "string", priority: 0, description: "Time required to complete the job.", cell: (j, c) => jobDuration(j, c.now) },
  AGE,
];

// As kubectl: TIMEZONE <none> when unset, SUSPEND True/False, LAST SCHEDULE an age or <none>.
const CRONJOB: TableColumn<CronJob>[] = [
  NAME,
  { name: "SCHEDULE", type: "string", priority: 0, description: "The schedule in cron format.", cell: (c) => c.spec?.schedule ?? "" },
  { name: "TIMEZONE", type: "string", priority: 0, description: "The time zone of the schedule.", cell: (c) => c.spec?.timeZone || "<none>" },
  { name: "SUSPEND", type: "string", priority: 0, description: "Whether later runs are suspended.", cell: (c) => (c.spec?.suspend ? "True" : "False") },
  { name: "ACTIVE", type: "integer", priority: 0, description: "The number of running jobs.", cell: (c) => String(c.status?.active.length ?? 0) },
  { name: "LAST SCHEDULE", type: "string", priority: 0, description: "When a job was last scheduled.", cell: (c, ctx) => (c.status?.lastScheduleTime ? since(c.status.lastScheduleTime, ctx.now) : "<none>") },
  AGE,
  { name: "CONTAINERS", type: "string", priority: 1, description: "Names of each container in the template.", cell: (c) => containerNames(c.spec?.jobTemplate?.spec?.template?.spec?.containers) },
  { name: "IMAGES", type: "string", priority: 1, description: "Images referenced by each container in the template.", cell: (c) => containerImages(c.spec?.jobTemplate?.spec?.template?.spec?.containers) },
  { name: "SELECTOR", type: "string", priority: 1, description: "Label selector for the jobs' pods.", cell: (c) => (c.spec?.jobTemplate?.spec?.selector ? formatSelector(c.spec.jobTemplate.spec.selector) : "<none>") },
];

/** Every kind's columns, in display order. */
export const TABLE_COLUMNS: { readonly [K in KindName]: readonly TableColumn<AnyObject>[] } = {
  Deployment: DEPLOYMENT as TableColumn<AnyObject>[],
  ReplicaSet: REPLICASET as TableColumn<AnyObject>[],
  Pod: POD as TableColumn<AnyObject>[],
  Node: NODE as TableColumn<AnyObject>[],
  Namespace: NAMESPACE as TableColumn<AnyObject>[],
  Event: EVENT as TableColumn<AnyObject>[],
  Lease: LEASE as TableColumn<AnyObject>[],
  ConfigMap: CONFIGMAP as TableColumn<AnyObject>[],
  Secret: SECRET as TableColumn<AnyObject>[],
  Service: SERVICE as TableColumn<AnyObject>[],
  Endpoints: ENDPOINTS as TableColumn<AnyObject>[],
  EndpointSlice: ENDPOINTSLICE as TableColumn<AnyObject>[],
  Job: JOB as TableColumn<AnyObject>[],
  CronJob: CRONJOB as TableColumn<AnyObject>[],
};

/** The columns shown: priority 0 always, the others only with -o wide. */
export function tableColumns(kind: KindName, wide: boolean): TableColumn<AnyObject>[] {
  return TABLE_COLUMNS[kind].filter((c) => wide || c.priority === 0);
}
