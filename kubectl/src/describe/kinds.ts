// One describer per kind, each printing kubectl's sections in kubectl's order.
import { type Deployment, type Event, type Lease, type Namespace, type Node, type ObjectMeta, type OwnerReference, type Pod, type ReplicaSet, REVISION_ANNOTATION } from "@mk/proto";
import type { Clientset } from "@mk/proto/client";
import { formatSelector, nodeRoles, since } from "@mk/proto/api";
import { describeContainers, describePodTemplate, describeVolumes } from "./containers.js";
import { describeConditions, describeEvents, describeTime, labelsMultiline, PrefixWriter } from "./writer.js";

export interface DescribeContext {
  cs: Clientset;
  now: number;
  /** The object's events (filtered by involvedObject on the client side). */
  events: Event[];
}

function controller(meta: ObjectMeta | undefined): OwnerReference | undefined {
  return meta?.ownerReferences.find((o) => o.controller) ?? meta?.ownerReferences[0];
}

function header(w: PrefixWriter, meta: ObjectMeta | undefined, namespaced: boolean): void {
  w.line(0, "Name:", meta?.name ?? "");
  if (namespaced) w.line(0, "Namespace:", meta?.namespace ?? "");
}

export async function describeDeployment(d: Deployment, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  const m = d.metadata;
  header(w, m, true);
  w.line(0, "CreationTimestamp:", describeTime(m?.creationTimestamp));
  labelsMultiline(w, 0, "Labels", m?.labels);
  labelsMultiline(w, 0, "Annotations", m?.annotations, ": ");
  w.line(0, "Selector:", formatSelector(d.spec?.selector));
  const s = d.status;
  w.line(
    0,
    "Replicas:",
    `${d.spec?.replicas ?? 0} desired | ${s?.updatedReplicas ?? 0} updated | ${s?.replicas ?? 0} total | ${s?.availableReplicas ?? 0} available | ${s?.unavailableReplicas ?? 0} unavailable`,
  );
  const strategy = d.spec?.strategy?.type || "RollingUpdate";
  w.line(0, "StrategyType:", strategy);
  w.line(0, "MinReadySeconds:", d.spec?.minReadySeconds ?? 0);
  if (strategy === "RollingUpdate") {
    const ru = d.spec?.strategy?.rollingUpdate;
    w.line(0, "RollingUpdateStrategy:", `${ru?.maxUnavailable || "25%"} max unavailable, ${ru?.maxSurge || "25%"} max surge`);
  }
  describePodTemplate(w, d.spec?.template);
  const conds = s?.conditions ?? [];
  if (conds.length > 0) {
    w.line(0, "Conditions:");
    w.line(1, "Type", "Status", "Reason");
    w.line(1, "----", "------", "------");
    for (const x of conds) w.line(1, `${x.type} `, x.status, x.reason);
  }
  // The ReplicaSets this Deployment controls: the new one carries the Deployment's revision.
  const rsList = await c.cs.replicaSets.list({ namespace: m?.namespace ?? "" });
  const owned = rsList.items.filter((rs) => rs.metadata?.ownerReferences.some((o) => o.uid === m?.uid));
  const rev = (x: { metadata?: ObjectMeta | undefined }) => Number(x.metadata?.annotations[REVISION_ANNOTATION] ?? 0);
  const newest = owned.reduce<ReplicaSet | undefined>((best, rs) => (!best || rev(rs) > rev(best) ? rs : best), undefined);
  const newRS = owned.find((rs) => rev(rs) === rev(d) && rev(d) > 0) ?? newest;
  const fmt = (rs: ReplicaSet) => `${rs.metadata?.name ?? ""} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`;
  const old = owned.filter((rs) => rs !== newRS && (rs.spec?.replicas ?? 0) > 0);
  w.line(0, "OldReplicaSets:", old.length ? old.map(fmt).join(", ") : "<none>");
  w.line(0, "NewReplicaSet:", newRS ? fmt(newRS) : "<none>");
  describeEvents(w, c.events, c.now);
  return w.toString();
}

export async function describeReplicaSet(rs: ReplicaSet, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  const m = rs.metadata;
  header(w, m, true);
  w.line(0, "Selector:", formatSelector(rs.spec?.selector));
  labelsMultiline(w, 0, "Labels", m?.labels);
  labelsMultiline(w, 0, "Annotations", m?.annotations, ": ");
  const owner = controller(m);
  if (owner) w.line(0, "Controlled By:", `${owner.kind}/${owner.name}`);
  w.line(0, "Replicas:", `${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 0} desired`);
  const pods = (await c.cs.pods.list({ namespace: m?.namespace ?? "" })).items.filter((p) =>
    p.metadata?.ownerReferences.some((o) => o.uid === m?.uid),
  );
  const count = (phase: string) => pods.filter((p) => p.status?.phase === phase).length;
  w.line(0, "Pods Status:", `${count("Running")} Running / ${count("Pending")} Waiting / ${count("Succeeded")} Succeeded / ${count("Failed")} Failed`);
  describePodTemplate(w, rs.spec?.template);
  describeConditions(w, rs.status?.conditions ?? []);
  describeEvents(w, c.events, c.now);
  return w.toString();
}

export async function describePod(p: Pod, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  const m = p.metadata;
  const st = p.status;
  header(w, m, true);
  if (p.spec?.priority !== undefined) w.line(0, "Priority:", p.spec.priority);
  w.line(0, "Node:", p.spec?.nodeName ? `${p.spec.nodeName}${st?.hostIp ? `/${st.hostIp}` : ""}` : "<none>");
  if (st?.startTime) w.line(0, "Start Time:", describeTime(st.startTime));
  labelsMultiline(w, 0, "Labels", m?.labels);
  labelsMultiline(w, 0, "Annotations", m?.annotations, ": ");
  if (m?.deletionTimestamp) {
    w.line(0, "Status:", `Terminating (lasts ${since(m.deletionTimestamp, c.now)})`);
    w.line(0, "Termination Grace Period:", `${m.deletionGracePeriodSeconds ?? 30}s`);
  } else {
    w.line(0, "Status:", st?.phase ?? "");
  }
  if (st?.reason) w.line(0, "Reason:", st.reason);
  if (st?.message) w.line(0, "Message:", st.message);
  w.line(0, "IP:", st?.podIp || st?.podIps[0]?.ip || "");
  const ips = st?.podIps.length ? st.podIps.map((x) => x.ip) : st?.podIp ? [st.podIp] : [];
  if (ips.length === 0) w.line(0, "IPs:", "<none>");
  else {
    w.line(0, "IPs:");
    for (const ip of ips) w.line(1, "IP:", ip);
  }
  const owner = controller(m);
  if (owner) w.line(0, "Controlled By:", `${owner.kind}/${owner.name}`);
  const spec = p.spec;
  if (spec && spec.initContainers.length > 0) describeContainers(w, 0, "Init Containers", spec.initContainers, st?.initContainerStatuses);
  describeContainers(w, 0, "Containers", spec?.containers ?? [], st?.containerStatuses ?? []);
  const conds = st?.conditions ?? [];
  if (conds.length > 0) {
    w.line(0, "Conditions:");
    w.line(1, "Type", "Status");
    for (const x of conds) w.line(1, `${x.type} `, `${x.status} `);
  }
  describeVolumes(w, 0, spec?.volumes ?? []);
  if (st?.qosClass) w.line(0, "QoS Class:", st.qosClass);
  const sel = Object.entries(spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`);
  w.line(0, "Node-Selectors:", sel.length ? sel.join(",") : "<none>");
  const tol = (spec?.tolerations ?? []).map(
    (x) =>
      `${x.key}${x.operator === "Exists" ? "" : `=${x.value}`}${x.effect ? `:${x.effect}` : ""}${x.tolerationSeconds !== undefined ? ` op=${x.operator || "Equal"} for ${x.tolerationSeconds}s` : ""}`,
  );
  tol.forEach((t, i) => {
    w.line(0, i === 0 ? "Tolerations:" : "", t);
  });
  if (tol.length === 0) w.line(0, "Tolerations:", "<none>");
  describeEvents(w, c.events, c.now);
  return w.toString();
}

export async function describeNode(n: Node, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  const m = n.metadata;
  header(w, m, false);
  w.line(0, "Roles:", nodeRoles(n));
  labelsMultiline(w, 0, "Labels", m?.labels);
  labelsMultiline(w, 0, "Annotations", m?.annotations, ": ");
  w.line(0, "CreationTimestamp:", describeTime(m?.creationTimestamp));
  const taints = (n.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`);
  taints.forEach((t, i) => {
    w.line(0, i === 0 ? "Taints:" : "", t);
  });
  if (taints.length === 0) w.line(0, "Taints:", "<none>");
  w.line(0, "Unschedulable:", n.spec?.unschedulable ? "true" : "false");
  const conds = n.status?.conditions ?? [];
  if (conds.length > 0) {
    w.line(0, "Conditions:");
    w.line(1, "Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message");
    w.line(1, "----", "------", "-----------------", "------------------", "------", "-------");
    for (const x of conds) {
      w.line(1, x.type, x.status, describeTime(x.lastHeartbeatTime), describeTime(x.lastTransitionTime), x.reason, x.message);
    }
  }
  w.line(0, "Addresses:");
  for (const a of n.status?.addresses ?? []) w.line(1, `${a.type}:`, a.address);
  for (const [title, res] of [
    ["Capacity", n.status?.capacity],
    ["Allocatable", n.status?.allocatable],
  ] as const) {
    w.line(0, `${title}:`);
    for (const k of Object.keys(res ?? {}).sort()) w.line(1, `${k}:`, res?.[k] ?? "");
  }
  const ni = n.status?.nodeInfo;
  w.line(0, "System Info:");
  w.line(1, "Machine ID:", ni?.machineId ?? "");
  w.line(1, "Boot ID:", ni?.bootId ?? "");
  w.line(1, "Kernel Version:", ni?.kernelVersion ?? "");
  w.line(1, "OS Image:", ni?.osImage ?? "");
  w.line(1, "Operating System:", ni?.operatingSystem ?? "");
  w.line(1, "Architecture:", ni?.architecture ?? "");
  w.line(1, "Container Runtime Version:", ni?.containerRuntimeVersion ?? "");
  w.line(1, "Kubelet Version:", ni?.kubeletVersion ?? "");
  const pods = (await c.cs.pods.list({ fieldSelector: `spec.nodeName=${m?.name ?? ""}` })).items.filter(
    (p) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed",
  );
  w.line(0, "Non-terminated Pods:", `(${pods.length} in total)`);
  if (pods.length > 0) {
    w.line(1, "Namespace", "Name", "CPU Requests", "CPU Limits", "Memory Requests", "Memory Limits", "Age");
    w.line(1, "---------", "----", "------------", "----------", "---------------", "-------------", "---");
    for (const p of pods) {
      const sum = (key: "requests" | "limits", r: string) =>
        (p.spec?.containers ?? []).map((x) => x.resources?.[key][r]).filter(Boolean).join("+") || "0";
      w.line(1, p.metadata?.namespace ?? "", p.metadata?.name ?? "", sum("requests", "cpu"), sum("limits", "cpu"), sum("requests", "memory"), sum("limits", "memory"), since(p.metadata?.creationTimestamp, c.now));
    }
  }
  describeEvents(w, c.events, c.now);
  return w.toString();
}

export async function describeNamespace(ns: Namespace, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  header(w, ns.metadata, false);
  labelsMultiline(w, 0, "Labels", ns.metadata?.labels);
  labelsMultiline(w, 0, "Annotations", ns.metadata?.annotations, ": ");
  w.line(0, "Status:", ns.status?.phase ?? "");
  if (c.events.length > 0) describeEvents(w, c.events, c.now);
  return w.toString();
}

export async function describeEvent(e: Event, _c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  header(w, e.metadata, true);
  labelsMultiline(w, 0, "Labels", e.metadata?.labels);
  labelsMultiline(w, 0, "Annotations", e.metadata?.annotations, ": ");
  w.line(0, "API Version:", "v1");
  w.line(0, "Count:", e.count);
  w.line(0, "First Timestamp:", describeTime(e.firstTimestamp));
  w.line(0, "Involved Object:");
  w.line(1, "Kind:", e.involvedObject?.kind ?? "");
  w.line(1, "Name:", e.involvedObject?.name ?? "");
  w.line(1, "Namespace:", e.involvedObject?.namespace ?? "");
  w.line(1, "UID:", e.involvedObject?.uid ?? "");
  w.line(0, "Kind:", "Event");
  w.line(0, "Last Timestamp:", describeTime(e.lastTimestamp));
  w.line(0, "Message:", e.message);
  w.line(0, "Reason:", e.reason);
  w.line(0, "Source:");
  w.line(1, "Component:", e.source?.component ?? "");
  if (e.source?.host) w.line(1, "Host:", e.source.host);
  w.line(0, "Type:", e.type);
  w.line(0, "Events:", "<none>");
  return w.toString();
}

export async function describeLease(l: Lease, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  header(w, l.metadata, true);
  labelsMultiline(w, 0, "Labels", l.metadata?.labels);
  labelsMultiline(w, 0, "Annotations", l.metadata?.annotations, ": ");
  w.line(0, "Holder Identity:", l.spec?.holderIdentity || "<none>");
  w.line(0, "Lease Duration Seconds:", l.spec?.leaseDurationSeconds ?? 0);
  w.line(0, "Renew Time:", describeTime(l.spec?.renewTime));
  describeEvents(w, c.events, c.now);
  return w.toString();
}
