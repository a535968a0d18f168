// The names of what the pod network puts on a host, derived from the cluster id alone, so the kubelet
// that makes them and `mkctl cluster down` that removes them agree. A short hash of the id keeps the
// iptables chain names under their 28-byte limit and the bridge name under Linux's 15 bytes.
import { createHash } from "node:crypto";

/** `ip route ... proto 109`: mk's pod routes, told apart from everyone else's (109 = "m"). */
export const POD_ROUTE_PROTO = 109;
/** Labels a pod network (Docker network) with its cluster, as the kubelet labels containers. */
export const POD_NETWORK_CLUSTER_LABEL = "io.mk.cluster";
export const POD_NETWORK_NODE_LABEL = "io.mk.node.name";
export const POD_NETWORK_KIND_LABEL = "io.mk.network";

const hash = (s: string, n: number) => createHash("sha256").update(s).digest("hex").slice(0, n);

export interface PodNetworkNames {
  /** filter chain with the pod traffic accepts; DOCKER-USER jumps to it. */
  filterChain: string;
  /** nat chain masquerading pod traffic that leaves the cluster CIDR; POSTROUTING jumps to it. */
  natChain: string;
  /** The comment on every rule and jump: which cluster put it there. */
  comment: string;
}

export function podNetworkNames(clusterId: string): PodNetworkNames {
  const h = hash(clusterId, 10);
  return { filterChain: `MK-PODS-${h}`, natChain: `MK-MASQ-${h}`, comment: `mk-pod-network-${h}` };
}

/** The Docker network of one node's pods, and its bridge device. */
export function podNetworkName(clusterId: string, node: string): { network: string; bridge: string } {
  const h = hash(`${clusterId}\n${node}`, 11);
  return { network: `mk-pods-${h}`, bridge: `mkp${h}` };
}
