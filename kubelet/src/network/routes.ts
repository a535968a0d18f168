// host-gw routes (flannel's host-gw backend, kind's kindnet): one `ip route replace <podCIDR> via
// <InternalIP>` per other node, tagged `proto 109` so mk removes only its own. A podCIDR that holds
// one of this namespace's addresses is on a local bridge (the local cluster's kubelets share the
// host's namespace): it needs no route.
import { ipInCidr, POD_ROUTE_PROTO } from "@mk/proto";
import { must } from "./exec.js";

export interface PeerNode {
  name: string;
  podCidr: string;
  internalIp: string;
}

export interface PodRoute {
  cidr: string;
  via: string;
}

/** The routes this node wants, sorted by range: one per other node with a podCIDR and an InternalIP. */
export function desiredRoutes(self: string, peers: PeerNode[], localAddrs: string[]): PodRoute[] {
  return peers
    .filter((p) => p.name !== self && p.podCidr && p.internalIp)
    .filter((p) => !localAddrs.some((a) => ipInCidr(a, p.podCidr)))
    .map((p) => ({ cidr: p.podCidr, via: p.internalIp }))
    .sort((a, b) => a.cidr.localeCompare(b.cidr));
}

/** `ip -o -4 route show proto 109` lines → routes (destination and gateway). */
export function parseRoutes(out: string): PodRoute[] {
  const routes: PodRoute[] = [];
  for (const line of out.split("\n")) {
    const m = /^(\S+)\s+via\s+(\S+)/.exec(line.trim());
    if (m?.[1] && m[2]) routes.push({ cidr: m[1], via: m[2] });
  }
  return routes;
}

/** This namespace's IPv4 addresses. */
export async function localAddresses(): Promise<string[]> {
  const out = await must("ip", ["-o", "-4", "addr", "show"]);
  return [...out.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1] ?? "");
}

/**
 * Makes mk's routes into the cluster CIDR exactly `want`: replaces each wanted one and deletes those
 * of ours (proto 109, inside this cluster's CIDR: another cluster's are not ours) no longer wanted.
 */
export async function syncRoutes(want: PodRoute[], clusterCidr: string): Promise<void> {
  const have = parseRoutes(await must("ip", ["-o", "-4", "route", "show", "proto", String(POD_ROUTE_PROTO)]));
  for (const r of have) {
    const base = r.cidr.split("/")[0] ?? "";
    if (!ipInCidr(base, clusterCidr) || want.some((w) => w.cidr === r.cidr && w.via === r.via)) continue;
    await must("ip", ["route", "del", r.cidr, "proto", String(POD_ROUTE_PROTO)]);
  }
  for (const w of want) {
    if (have.some((h) => h.cidr === w.cidr && h.via === w.via)) continue;
    await must("ip", ["route", "replace", w.cidr, "via", w.via, "proto", String(POD_ROUTE_PROTO)]);
  }
}
