// describe for Service, Endpoints and EndpointSlice, in kubectl's order of sections.
import type { EndpointSlice, Endpoints, ObjectMeta, Pod, Service, ServicePort } from "@mk/proto";
import { formatSelector, resolveTargetPort, SERVICE_NAME_LABEL, sliceEndpoints, sliceEndpointsList, slicePorts } from "@mk/proto/api";
import type { DescribeContext } from "./kinds.js";
import { describeEvents, labelsMultiline, PrefixWriter } from "./writer.js";

function header(w: PrefixWriter, m: ObjectMeta | undefined): void {
  w.line(0, "Name:", m?.name ?? "");
  w.line(0, "Namespace:", m?.namespace ?? "");
  labelsMultiline(w, 0, "Labels", m?.labels);
  labelsMultiline(w, 0, "Annotations", m?.annotations, ": ");
}

/** A pod the EndpointSlice controller would consider: not finished. */
const live = (p: Pod) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed";
const ready = (p: Pod) => p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false;
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Why a Service port has no endpoints, in a sentence, from the pods its selector matches: none does;
 * no matching pod has a container port of the targetPort's name (Kubernetes accepts such a name and
 * leaves the pods out); none of them is ready. undefined when no reason is visible (a Service without a
 * selector has its Endpoints written by someone else; the controller may not have caught up yet).
 */
export function noEndpointsReason(svc: Service, port: ServicePort, pods: readonly Pod[]): string | undefined {
  const selector = svc.spec?.selector ?? {};
  if (Object.keys(selector).length === 0) return undefined;
  const matching = pods.filter(live);
  if (matching.length === 0) return `no pod in namespace ${svc.metadata?.namespace || "default"} matches the selector ${formatSelector({ matchLabels: selector, matchExpressions: [] })}`;
  const target = port.targetPort || String(port.port);
  if (!/^\d+$/.test(target) && matching.every((p) => resolveTargetPort(port, p) === undefined)) {
    const protocol = port.protocol || "TCP";
    return `no container of the ${plural(matching.length, "matching pod", "matching pods")} has a ${protocol} port named "${target}"`;
  }
  if (!matching.some(ready)) return `${plural(matching.length, "pod matches", "pods match")} the selector, none is ready`;
  return undefined;
}

export async function describeService(s: Service, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  header(w, s.metadata);
  const spec = s.spec;
  const selector = spec?.selector ?? {};
  w.line(0, "Selector:", formatSelector({ matchLabels: selector, matchExpressions: [] }));
  w.line(0, "Type:", spec?.type || "ClusterIP");
  // mk's Services are IPv4 and single-stack and carry neither ipFamilyPolicy nor ipFamilies: kubectl
  // then prints no policy line and no families, and so does mkctl.
  w.line(0, "IP Families:", "<none>");
  w.line(0, "IP:", spec?.clusterIp ?? "");
  if ((spec?.clusterIps ?? []).length > 0) w.line(0, "IPs:", spec?.clusterIps.join(",") ?? "");
  const ns = s.metadata?.namespace ?? "";
  // kubectl 1.32 reads the Service's EndpointSlices (not the v1 Endpoints) for these lines.
  const slices = (await c.cs.endpointSlices.list({ namespace: ns, labelSelector: `${SERVICE_NAME_LABEL}=${s.metadata?.name ?? ""}` })).items;
  // The pods behind it, read only when some port has no endpoint to explain.
  let pods: Pod[] | undefined;
  for (const p of spec?.ports ?? []) {
    const proto = p.protocol || "TCP";
    const name = p.name || "<unset>";
    w.line(0, "Port:", name, `${p.port}/${proto}`);
    w.line(0, "TargetPort:", `${p.targetPort || p.port}/${proto}`);
    if (p.nodePort) w.line(0, "NodePort:", name, `${p.nodePort}/${proto}`);
    w.line(0, "Endpoints:", sliceEndpointsList(slices, p.name));
    // No ready endpoint with this port resolved (a slice without ports lists its addresses bare, as
    // kubectl prints them, but no traffic reaches them on this port): say why, on one more line.
    const served = slices.some((sl) => sl.ports.some((sp) => (sp.name ?? "") === p.name) && sl.endpoints.some((e) => e.conditions?.ready !== false));
    if (!served && Object.keys(selector).length > 0) {
      pods ??= (await c.cs.pods.list({ namespace: ns, labelSelector: formatSelector({ matchLabels: selector, matchExpressions: [] }) })).items;
      const why = noEndpointsReason(s, p, pods);
      if (why) w.line(0, "", `(${why})`);
    }
  }
  w.line(0, "Session Affinity:", spec?.sessionAffinity || "None");
  if (spec?.externalTrafficPolicy) w.line(0, "External Traffic Policy:", spec.externalTrafficPolicy);
  if (spec?.internalTrafficPolicy) w.line(0, "Internal Traffic Policy:", spec.internalTrafficPolicy);
  describeEvents(w, c.events, c.now);
  return w.toString();
}

export async function describeEndpoints(e: Endpoints, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  header(w, e.metadata);
  w.line(0, "Subsets:", "");
  for (const s of e.subsets) {
    w.line(1, "Addresses:", s.addresses.map((a) => a.ip).join(",") || "<none>");
    w.line(1, "NotReadyAddresses:", s.notReadyAddresses.map((a) => a.ip).join(",") || "<none>");
    w.line(1, "Ports:", s.ports.map((p) => `${p.name || "<unset>"} ${p.port}/${p.protocol || "TCP"}`).join(", ") || "<none>");
  }
  describeEvents(w, c.events, c.now);
  return w.toString();
}

export async function describeEndpointSlice(s: EndpointSlice, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  header(w, s.metadata);
  w.line(0, "AddressType:", s.addressType);
  w.line(0, "Ports:", slicePorts(s));
  w.line(0, "Endpoints:", sliceEndpoints(s));
  for (const e of s.endpoints) {
    w.line(1, "- Addresses:", e.addresses.join(","));
    w.line(2, "Conditions:", `Ready: ${e.conditions?.ready ?? "<unset>"}  Terminating: ${e.conditions?.terminating ?? "<unset>"}`);
    w.line(2, "Hostname:", e.hostname ?? "<unset>");
    w.line(2, "TargetRef:", e.targetRef ? `${e.targetRef.kind}/${e.targetRef.name}` : "<unset>");
    w.line(2, "NodeName:", e.nodeName ?? "<unset>");
  }
  describeEvents(w, c.events, c.now);
  return w.toString();
}
