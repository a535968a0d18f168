// What a Service's endpoints should be, from the Service and the pods of its namespace: the pure
// half of the controller, so it is tested without an API. Pods are grouped by the ports their
// targetPorts resolve to (a named targetPort may be 8080 in one pod and 9090 in another); each group
// is one EndpointSlice and one subset of the v1 Endpoints, as Kubernetes does.
import { createHash } from "node:crypto";
import {
  type Endpoint,
  type EndpointSlicePort,
  type EndpointSubset,
  type Pod,
  resolveTargetPort,
  type Service,
} from "@mk/proto";
import type { DeepReadonly } from "@mk/proto/informer";

type RoPod = DeepReadonly<Pod>;
type RoService = DeepReadonly<Service>;

export interface PortGroup {
  /** The group's ports as `name/protocol/port,…`: identical for pods that resolve alike. */
  signature: string;
  ports: EndpointSlicePort[];
  endpoints: Endpoint[];
}

function isReady(p: RoPod): boolean {
  return p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** Pods that may answer: matched, with an address, and not finished. */
export function candidatePods(svc: RoService, pods: readonly RoPod[]): RoPod[] {
  const selector = svc.spec?.selector ?? {};
  const keys = Object.keys(selector);
  if (keys.length === 0) return [];
  return pods.filter((p) => {
    const labels = p.metadata?.labels ?? {};
    if (!keys.every((k) => labels[k] === selector[k])) return false;
    const phase = p.status?.phase;
    return !!p.status?.podIp && phase !== "Succeeded" && phase !== "Failed";
  });
}

function endpointOf(svc: RoService, p: RoPod): Endpoint {
  const terminating = !!p.metadata?.deletionTimestamp;
  const serving = isReady(p);
  // publishNotReadyAddresses: every address counts as ready (DNS of a StatefulSet's peers).
  const ready = svc.spec?.publishNotReadyAddresses ? true : serving && !terminating;
  // A pod's DNS name under a headless Service: its hostname, when its subdomain names the Service.
  const hostname = p.spec?.hostname && p.spec.subdomain === svc.metadata?.name ? p.spec.hostname : undefined;
  return {
    addresses: [p.status?.podIp ?? ""],
    conditions: { ready, serving, terminating },
    hostname,
    targetRef: { apiVersion: "", kind: "Pod", namespace: p.metadata?.namespace ?? "", name: p.metadata?.name ?? "", uid: p.metadata?.uid ?? "", resourceVersion: "", fieldPath: "" },
    nodeName: p.spec?.nodeName || undefined,
  };
}

/** The endpoints of `svc`, grouped by resolved ports, in a stable order (pods by name). */
export function desiredGroups(svc: RoService, pods: readonly RoPod[]): PortGroup[] {
  const groups = new Map<string, PortGroup>();
  const sorted = [...candidatePods(svc, pods)].sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  for (const p of sorted) {
    const ports: EndpointSlicePort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = resolveTargetPort(sp, p);
      if (port !== undefined) ports.push({ name: sp.name, protocol: sp.protocol || "TCP", port });
    }
    const signature = ports.map((x) => `${x.name}/${x.protocol}/${x.port}`).join(",");
    let g = groups.get(signature);
    if (!g) {
      g = { signature, ports, endpoints: [] };
      groups.set(signature, g);
    }
    g.endpoints.push(endpointOf(svc, p));
  }
  return [...groups.values()].sort((a, b) => a.signature.localeCompare(b.signature));
}

/** A slice's name: the Service's, and a hash of its ports, so each port group keeps its slice. */
export function sliceName(service: string, signature: string): string {
  const hash = createHash("sha256").update(signature).digest("hex").slice(0, 5);
  return `${service.slice(0, 57)}-${hash}`;
}

/**
 * The v1 Endpoints subsets of the groups: ready addresses, not-ready ones, never terminating ones.
 * Pods none of whose ports resolve (a targetPort name no container has) are in the slices, without
 * ports, as Kubernetes' EndpointSlice controller keeps them; Kubernetes' Endpoints controller leaves
 * them out unless the Service has no ports at all (headless), and so does this view.
 */
export function subsetsOf(groups: readonly PortGroup[], serviceHasPorts = true): EndpointSubset[] {
  const subsets: EndpointSubset[] = [];
  for (const g of groups) {
    if (g.ports.length === 0 && serviceHasPorts) continue;
    const subset: EndpointSubset = { addresses: [], notReadyAddresses: [], ports: g.ports.map((p) => ({ name: p.name ?? "", port: p.port ?? 0, protocol: p.protocol ?? "TCP" })) };
    for (const e of g.endpoints) {
      if (e.conditions?.terminating && !e.conditions.ready) continue;
      const address = { ip: e.addresses[0] ?? "", hostname: e.hostname ?? "", nodeName: e.nodeName, targetRef: e.targetRef };
      (e.conditions?.ready ? subset.addresses : subset.notReadyAddresses).push(address);
    }
    if (subset.addresses.length + subset.notReadyAddresses.length > 0) subsets.push(subset);
  }
  return subsets;
}
