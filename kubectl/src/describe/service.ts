// describe for Service, Endpoints and EndpointSlice, in kubectl's order of sections.
import type { EndpointSlice, Endpoints, ObjectMeta, Service } from "@mk/proto";
import { endpointsList, formatSelector, sliceEndpoints, slicePorts } from "@mk/proto/api";
import type { DescribeContext } from "./kinds.js";
import { describeEvents, labelsMultiline, PrefixWriter } from "./writer.js";

function header(w: PrefixWriter, m: ObjectMeta | undefined): void {
  w.line(0, "Name:", m?.name ?? "");
  w.line(0, "Namespace:", m?.namespace ?? "");
  labelsMultiline(w, 0, "Labels", m?.labels);
  labelsMultiline(w, 0, "Annotations", m?.annotations, ": ");
}

export async function describeService(s: Service, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  header(w, s.metadata);
  const spec = s.spec;
  w.line(0, "Selector:", formatSelector({ matchLabels: spec?.selector ?? {}, matchExpressions: [] }));
  w.line(0, "Type:", spec?.type || "ClusterIP");
  w.line(0, "IP:", spec?.clusterIp || "<none>");
  w.line(0, "IPs:", spec?.clusterIps.join(",") || "<none>");
  const ep = await c.cs.endpoints.get(s.metadata?.namespace ?? "", s.metadata?.name ?? "").catch(() => undefined);
  for (const p of spec?.ports ?? []) {
    const proto = p.protocol || "TCP";
    w.line(0, "Port:", `${p.name || "<unset>"}  ${p.port}/${proto}`);
    w.line(0, "TargetPort:", `${p.targetPort}/${proto}`);
    if (p.nodePort) w.line(0, "NodePort:", `${p.name || "<unset>"}  ${p.nodePort}/${proto}`);
    w.line(0, "Endpoints:", ep ? endpointsList(ep) : "<none>");
  }
  w.line(0, "Session Affinity:", spec?.sessionAffinity || "None");
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
