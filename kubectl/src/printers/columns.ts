// The columns of `mkctl get` per kind, exactly as kubectl's printers define them (name, cell
// function, and whether the column shows only with -o wide).
import type { Container, Deployment, Event, LabelSelector, Lease, Namespace, Node, Pod, ReplicaSet } from "@mk/proto";
import type { AnyObject, KindName } from "@mk/proto/api";
import { since } from "./age.js";
import { podSummary } from "./podstatus.js";

export interface CellContext {
  now: number;
}

export interface Column<T> {
  header: string;
  wide?: boolean;
  cell(obj: T, ctx: CellContext): string;
}

const none = (s: string | undefined): string => (s ? s : "<none>");

export function formatLabels(labels: { [k: string]: string } | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? "<none>" : keys.map((k) => `${k}=${labels?.[k] ?? ""}`).join(",");
}

/** A label selector as kubectl prints it: requirements sorted by key (`app=web,tier in (a,b)`). */
export function formatSelector(sel: LabelSelector | undefined): string {
  if (!sel) return "<none>";
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels)) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions) {
    const values = [...e.values].sort().join(",");
    const text =
      e.operator === "In"
        ? `${e.key} in (${values})`
        : e.operator === "NotIn"
          ? `${e.key} notin (${values})`
          : e.operator === "Exists"
            ? e.key
            : e.operator === "DoesNotExist"
              ? `!${e.key}`
              : `${e.key} ${e.operator} (${values})`;
    reqs.push({ key: e.key, text });
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.length === 0 ? "<none>" : reqs.map((r) => r.text).join(",");
}

const containerNames = (cs: readonly Container[] | undefined) => (cs ?? []).map((c) => c.name).join(",");
const containerImages = (cs: readonly Container[] | undefined) => (cs ?? []).map((c) => c.image).join(",");

const NAME: Column<AnyObject> = { header: "NAME", cell: (o) => o.metadata?.name ?? "" };
const AGE: Column<AnyObject> = { header: "AGE", cell: (o, c) => since(o.metadata?.creationTimestamp, c.now) };

const DEPLOYMENT: Column<Deployment>[] = [
  NAME,
  { header: "READY", cell: (d) => `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}` },
  { header: "UP-TO-DATE", cell: (d) => String(d.status?.updatedReplicas ?? 0) },
  { header: "AVAILABLE", cell: (d) => String(d.status?.availableReplicas ?? 0) },
  AGE,
  { header: "CONTAINERS", wide: true, cell: (d) => containerNames(d.spec?.template?.spec?.containers) },
  { header: "IMAGES", wide: true, cell: (d) => containerImages(d.spec?.template?.spec?.containers) },
  { header: "SELECTOR", wide: true, cell: (d) => formatSelector(d.spec?.selector) },
];

const REPLICASET: Column<ReplicaSet>[] = [
  NAME,
  { header: "DESIRED", cell: (r) => String(r.spec?.replicas ?? 0) },
  { header: "CURRENT", cell: (r) => String(r.status?.replicas ?? 0) },
  { header: "READY", cell: (r) => String(r.status?.readyReplicas ?? 0) },
  AGE,
  { header: "CONTAINERS", wide: true, cell: (r) => containerNames(r.spec?.template?.spec?.containers) },
  { header: "IMAGES", wide: true, cell: (r) => containerImages(r.spec?.template?.spec?.containers) },
  { header: "SELECTOR", wide: true, cell: (r) => formatSelector(r.spec?.selector) },
];

const POD: Column<Pod>[] = [
  NAME,
  { header: "READY", cell: (p, c) => podSummary(p, c.now).ready },
  { header: "STATUS", cell: (p, c) => podSummary(p, c.now).status },
  { header: "RESTARTS", cell: (p, c) => podSummary(p, c.now).restarts },
  AGE,
  { header: "IP", wide: true, cell: (p) => none(p.status?.podIps[0]?.ip || p.status?.podIp) },
  { header: "NODE", wide: true, cell: (p) => none(p.spec?.nodeName) },
  { header: "NOMINATED NODE", wide: true, cell: (p) => none(p.status?.nominatedNodeName) },
  { header: "READINESS GATES", wide: true, cell: () => "<none>" },
];

/** Ready / NotReady / Unknown, then SchedulingDisabled when cordoned. */
export function nodeStatus(n: Node): string {
  const ready = n.status?.conditions.find((c) => c.type === "Ready");
  const parts = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (n.spec?.unschedulable) parts.push("SchedulingDisabled");
  return parts.join(",");
}

/** From node-role.kubernetes.io/ROLE labels and kubernetes.io/role, sorted. */
export function nodeRoles(n: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(n.metadata?.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length);
      if (role) roles.add(role);
    } else if (k === "kubernetes.io/role" && v) {
      roles.add(v);
    }
  }
  return roles.size === 0 ? "<none>" : [...roles].sort().join(",");
}

const nodeAddress = (n: Node, type: string) => none(n.status?.addresses.find((a) => a.type === type)?.address);
const unknown = (s: string | undefined) => (s ? s : "<unknown>");

const NODE: Column<Node>[] = [
  NAME,
  { header: "STATUS", cell: nodeStatus },
  { header: "ROLES", cell: nodeRoles },
  AGE,
  { header: "VERSION", cell: (n) => n.status?.nodeInfo?.kubeletVersion ?? "" },
  { header: "INTERNAL-IP", wide: true, cell: (n) => nodeAddress(n, "InternalIP") },
  { header: "EXTERNAL-IP", wide: true, cell: (n) => nodeAddress(n, "ExternalIP") },
  { header: "OS-IMAGE", wide: true, cell: (n) => unknown(n.status?.nodeInfo?.osImage) },
  { header: "KERNEL-VERSION", wide: true, cell: (n) => unknown(n.status?.nodeInfo?.kernelVersion) },
  { header: "CONTAINER-RUNTIME", wide: true, cell: (n) => unknown(n.status?.nodeInfo?.containerRuntimeVersion) },
];

const NAMESPACE: Column<Namespace>[] = [NAME, { header: "STATUS", cell: (n) => n.status?.phase ?? "" }, AGE];

/** LAST SEEN: `5m`, or `5m (x3 over 10m)` for a repeated event. */
export function eventLastSeen(e: Event, now: number): string {
  const first = since(e.firstTimestamp || e.metadata?.creationTimestamp, now);
  const last = e.lastTimestamp ? since(e.lastTimestamp, now) : first;
  return e.count > 1 ? `${last} (x${e.count} over ${first})` : last;
}

const eventObject = (e: Event) => {
  const kind = (e.involvedObject?.kind ?? "").toLowerCase();
  return e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
};

const EVENT: Column<Event>[] = [
  { header: "LAST SEEN", cell: (e, c) => eventLastSeen(e, c.now) },
  { header: "TYPE", cell: (e) => e.type },
  { header: "REASON", cell: (e) => e.reason },
  { header: "OBJECT", cell: eventObject },
  { header: "SUBOBJECT", wide: true, cell: (e) => e.involvedObject?.fieldPath ?? "" },
  {
    header: "SOURCE",
    wide: true,
    cell: (e) => {
      const c = e.source?.component || e.reportingComponent;
      const h = e.source?.host || e.reportingInstance;
      return h ? `${c}, ${h}` : c;
    },
  },
  { header: "MESSAGE", cell: (e) => e.message.trim() },
  { header: "FIRST SEEN", wide: true, cell: (e, c) => since(e.firstTimestamp || e.metadata?.creationTimestamp, c.now) },
  { header: "COUNT", wide: true, cell: (e) => String(e.count) },
  { header: "NAME", wide: true, cell: (e) => e.metadata?.name ?? "" },
];

const LEASE: Column<Lease>[] = [NAME, { header: "HOLDER", cell: (l) => l.spec?.holderIdentity ?? "" }, AGE];

export const COLUMNS: { [K in KindName]: Column<AnyObject>[] } = {
  Deployment: DEPLOYMENT as Column<AnyObject>[],
  ReplicaSet: REPLICASET as Column<AnyObject>[],
  Pod: POD as Column<AnyObject>[],
  Node: NODE as Column<AnyObject>[],
  Namespace: NAMESPACE as Column<AnyObject>[],
  Event: EVENT as Column<AnyObject>[],
  Lease: LEASE as Column<AnyObject>[],
};

/** The columns shown: the wide ones only with -o wide. */
export function columnsFor(kind: KindName, wide: boolean): Column<AnyObject>[] {
  return COLUMNS[kind].filter((c) => wide || !c.wide);
}
