// The host rules of a cluster's pod network, as one iptables-restore text (kube-proxy's way: the
// whole set computed, then written at once; a restart writes the same text). In mk's own chains:
//
//   filter MK-PODS-<h>  (DOCKER-USER jumps here)  accept traffic from and to the cluster CIDR, as
//                       flannel's FLANNEL-FWD does: Docker's FORWARD drops what is not for a
//                       published port, and pod→remote-pod traffic crosses it on both nodes
//   nat    MK-MASQ-<h>  (POSTROUTING jumps here)   pod→pod keeps its source address; pod traffic
//                       leaving the cluster CIDR is masqueraded (the pod networks are made with
//                       Docker's own masquerading off)
//
// With the node proxy (kubelet/src/proxy/), MK-PODS first jumps to the proxy's filter chain (a Service
// without endpoints refuses forwarded pod traffic there), and MK-MASQ first masquerades what the proxy
// marked (hairpin, NodePorts, traffic from outside the cluster CIDR to a ClusterIP) and traffic from
// 127.0.0.0/8 leaving on a pod bridge (a NodePort on a loopback node address, DNAT'ed to a pod).
// The proxy's chain is made (`iptables -N`, never flushed) before this text is written.
//
// `iptables-restore --noflush`: declaring a chain flushes just that chain, so each write replaces
// mk's rules of this cluster atomically and touches nothing else.
import { POD_BRIDGE_PREFIX, PROXY_MASQ_MARK, type PodNetworkNames } from "@mk/proto";

export interface Jump {
  table: "filter" | "nat";
  /** A chain mk does not own: it gets exactly this one tagged rule from mk. */
  parent: string;
  chain: string;
  comment: string;
}

export function podNetworkRules(names: PodNetworkNames, clusterCidr: string): string {
  const c = `-m comment --comment ${names.comment}`;
  return [
    "*filter",
    `:${names.filterChain} - [0:0]`,
    `-A ${names.filterChain} ${c} -j ${names.proxyFilterChain}`,
    `-A ${names.filterChain} -s ${clusterCidr} ${c} -j ACCEPT`,
    `-A ${names.filterChain} -d ${clusterCidr} ${c} -j ACCEPT`,
    "COMMIT",
    "*nat",
    `:${names.natChain} - [0:0]`,
    `-A ${names.natChain} -m mark --mark ${PROXY_MASQ_MARK}/${PROXY_MASQ_MARK} ${c} -j MASQUERADE`,
    `-A ${names.natChain} -s 127.0.0.0/8 -o ${POD_BRIDGE_PREFIX}+ ${c} -j MASQUERADE`,
    `-A ${names.natChain} -s ${clusterCidr} -d ${clusterCidr} ${c} -j RETURN`,
    `-A ${names.natChain} -s ${clusterCidr} ${c} -j MASQUERADE`,
    "COMMIT",
    "",
  ].join("\n");
}

/** The jumps into mk's chains, one per chain; `parent` of the filter jump depends on the host. */
export function podNetworkJumps(names: PodNetworkNames, filterParent: string): Jump[] {
  return [
    { table: "filter", parent: filterParent, chain: names.filterChain, comment: names.comment },
    { table: "nat", parent: "POSTROUTING", chain: names.natChain, comment: names.comment },
  ];
}

/** `iptables -t <table> <op> <parent> ... -j <chain>` arguments for a jump (op -C, -I or -D). */
export function jumpArgs(j: Jump, op: "-C" | "-I" | "-D"): string[] {
  return ["-w", "-t", j.table, op, j.parent, "-m", "comment", "--comment", j.comment, "-j", j.chain];
}
