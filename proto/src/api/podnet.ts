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

/** The cluster's short hash that every chain name of it carries (10 hex digits). */
export function clusterHash(clusterId: string): string {
  return hash(clusterId, 10);
}

export interface PodNetworkNames {
  /** filter chain with the pod traffic accepts; DOCKER-USER jumps to it. */
  filterChain: string;
  /** nat chain masquerading pod traffic that leaves the cluster CIDR; POSTROUTING jumps to it. */
  natChain: string;
  /** The comment on every rule and jump: which cluster put it there. */
  comment: string;
  /** The node proxy's filter chain (proxyNames): the pod network's filter chain jumps to it first. */
  proxyFilterChain: string;
}

export function podNetworkNames(clusterId: string): PodNetworkNames {
  const h = clusterHash(clusterId);
  return { filterChain: `MK-PODS-${h}`, natChain: `MK-MASQ-${h}`, comment: `mk-pod-network-${h}`, proxyFilterChain: proxyNames(clusterId).filterChain };
}

/**
 * The node proxy's chains (kube-proxy's KUBE-SERVICES, KUBE-NODEPORTS, KUBE-MARK-MASQ, KUBE-SVC-*,
 * KUBE-SEP-*, and one filter chain for refusals and the localnet guard), all named after the cluster's
 * hash, so `cluster down` and a restarted proxy find every one of them; each fits iptables' 28 bytes.
 */
export interface ProxyNames {
  /** nat; nat PREROUTING and OUTPUT jump here. */
  servicesChain: string;
  /** nat; MK-SERVICES' last rule jumps here for local destinations. */
  nodePortsChain: string;
  /** nat; sets the masquerade mark. */
  markMasqChain: string;
  /** filter; INPUT and OUTPUT jump here, and the pod network's filter chain (forwarded traffic). */
  filterChain: string;
  /** Every rule and jump of the proxy carries this comment (followed by what the rule is for). */
  comment: string;
  /** Prefixes of the per service port and per endpoint chains: MK-SVC-<h>-, MK-SEP-<h>-. */
  svcPrefix: string;
  sepPrefix: string;
}

export function proxyNames(clusterId: string): ProxyNames {
  const h = clusterHash(clusterId);
  return {
    servicesChain: `MK-SERVICES-${h}`,
    nodePortsChain: `MK-NODEPORTS-${h}`,
    markMasqChain: `MK-MARK-MASQ-${h}`,
    filterChain: `MK-FW-${h}`,
    comment: `mk-proxy-${h}`,
    svcPrefix: `MK-SVC-${h}-`,
    sepPrefix: `MK-SEP-${h}-`,
  };
}

/** The masquerade mark of mk's proxy (kube-proxy's bit): the pod network's nat chain masquerades it. */
export const PROXY_MASQ_MARK = "0x4000";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** 10 base32 characters of sha256(s): the tail of a per service port or per endpoint chain (28 bytes in all). */
export function proxyChainSuffix(s: string): string {
  const d = createHash("sha256").update(s).digest();
  let out = "";
  for (let i = 0; i < 10; i++) out += BASE32[(d[i] ?? 0) & 31];
  return out;
}

/** Every pod bridge's name starts so (`-o mkp+` in iptables). */
export const POD_BRIDGE_PREFIX = "mkp";

/** The Docker network of one node's pods, and its bridge device. */
export function podNetworkName(clusterId: string, node: string): { network: string; bridge: string } {
  const h = hash(`${clusterId}\n${node}`, 11);
  return { network: `mk-pods-${h}`, bridge: `${POD_BRIDGE_PREFIX}${h}` };
}
