// What the proxy serves, from the API's Services and EndpointSlices (pure): one entry per Service
// port with a ClusterIP, with the endpoints kube-proxy would use — the ready ones, or, when none is
// ready, the serving terminating ones (kube-proxy's fallback, so connections drain during a rollout).
// Headless Services (clusterIP None) and ExternalName ones get no rules.
import { type EndpointSlice, SERVICE_NAME_LABEL, type Service } from "@mk/proto";
import type { DeepReadonly } from "@mk/proto/informer";

export interface ProxyEndpoint {
  ip: string;
  port: number;
}

export interface ServicePortInfo {
  /** namespace/name:port-name (port-name may be empty): the identity of the SVC chain. */
  name: string;
  protocol: "TCP" | "UDP";
  clusterIp: string;
  port: number;
  /** 0: none. */
  nodePort: number;
  /** Sorted by ip then port, so the same state always writes the same text. */
  endpoints: ProxyEndpoint[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function protocolOf(p: string | undefined): "TCP" | "UDP" | undefined {
  const v = (p || "TCP").toUpperCase();
  return v === "TCP" || v === "UDP" ? v : undefined;
}

/** Every proxied Service port, sorted by name, with its endpoints. */
export function servicePorts(services: readonly DeepReadonly<Service>[], slices: readonly DeepReadonly<EndpointSlice>[]): ServicePortInfo[] {
  const byService = new Map<string, DeepReadonly<EndpointSlice>[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc || (s.addressType && s.addressType !== "IPv4")) continue;
    const key = `${s.metadata?.namespace ?? ""}/${svc}`;
    const list = byService.get(key) ?? [];
    list.push(s);
    byService.set(key, list);
  }
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    const spec = svc.spec;
    if (!spec || !IPV4.test(spec.clusterIp) || spec.type === "ExternalName") continue;
    const key = `${svc.metadata?.namespace ?? ""}/${svc.metadata?.name ?? ""}`;
    for (const sp of spec.ports) {
      const protocol = protocolOf(sp.protocol);
      if (!protocol || !sp.port) continue;
      const ready: ProxyEndpoint[] = [];
      const terminating: ProxyEndpoint[] = [];
      for (const slice of byService.get(key) ?? []) {
        const port = slice.ports.find((p) => (p.name ?? "") === sp.name && protocolOf(p.protocol) === protocol)?.port;
        if (!port) continue;
        for (const ep of slice.endpoints) {
          const ip = ep.addresses[0];
          if (!ip || !IPV4.test(ip)) continue;
          const c = ep.conditions;
          // Kubernetes: an unset ready means ready; serving follows ready when unset.
          const isReady = c?.ready !== false && c?.terminating !== true;
          const isServing = (c?.serving ?? c?.ready) !== false;
          if (isReady) ready.push({ ip, port });
          else if (c?.terminating && isServing) terminating.push({ ip, port });
        }
      }
      const endpoints = dedupe(ready.length > 0 ? ready : terminating);
      const nodePort = spec.type === "NodePort" || spec.type === "LoadBalancer" ? sp.nodePort : 0;
      out.push({ name: `${key}:${sp.name}`, protocol, clusterIp: spec.clusterIp, port: sp.port, nodePort, endpoints });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.protocol.localeCompare(b.protocol)));
}

function dedupe(eps: ProxyEndpoint[]): ProxyEndpoint[] {
  const seen = new Map<string, ProxyEndpoint>();
  for (const e of eps) seen.set(`${e.ip}:${e.port}`, e);
  return [...seen.values()].sort((a, b) => compareIp(a.ip, b.ip) || a.port - b.port);
}

function compareIp(a: string, b: string): number {
  const n = (s: string) => s.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  return n(a) - n(b);
}
