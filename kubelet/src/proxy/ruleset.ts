// The whole ruleset of the node proxy as one iptables-restore text (kube-proxy's iptables mode,
// pkg/proxy/iptables/proxier.go), written with --noflush: declaring a chain flushes just that chain,
// so one write replaces every rule of mk's chains of this cluster at once, and chains of this cluster
// that no Service needs any more are declared and deleted (-X) in the same transaction.
//
//   nat MK-SERVICES-<h>    (PREROUTING and OUTPUT jump here)
//       -d CLUSTER_IP -p P --dport PORT → MK-SVC-<h>-<x>        one per Service port with endpoints
//       --dst-type LOCAL → MK-NODEPORTS-<h>                       last: NodePorts on every local address
//   nat MK-NODEPORTS-<h>   -p P --dport NODE_PORT → mark, MK-SVC-<h>-<x>
//   nat MK-SVC-<h>-<x>     ! -s CLUSTER_CIDR → mark (the reply must come back through this host);
//                          then endpoint i of n with probability 1/(n-i) → MK-SEP-<h>-<y>
//   nat MK-SEP-<h>-<y>     -s ENDPOINT → mark (hairpin: a pod reaching its own Service); DNAT
//   nat MK-MARK-MASQ-<h>   sets PROXY_MASQ_MARK; the pod network's MK-MASQ (POSTROUTING) masquerades it
//   filter MK-FW-<h>       (INPUT, OUTPUT, and the pod network's MK-PODS for forwarded traffic)
//                          drop to 127.0.0.0/8 from elsewhere unless DNAT'ed (CVE-2020-8558);
//                          REJECT new connections to a Service port without endpoints (ClusterIP
//                          and NodePort): refused at once instead of a timeout
import { PROXY_MASQ_MARK, type ProxyNames, proxyChainSuffix } from "@mk/proto";
import type { ServicePortInfo } from "./service-ports.js";

export interface RulesetInput {
  names: ProxyNames;
  clusterCidr: string;
  ports: readonly ServicePortInfo[];
  /** The nat chains of this cluster in the kernel now (MK-SVC-/MK-SEP-<h>-…): those not wanted are deleted. */
  existingNatChains: readonly string[];
}

export interface Ruleset {
  text: string;
  /** `-A` lines per table (the metric). */
  natRules: number;
  filterRules: number;
  /** Chains this text deletes. */
  deleted: string[];
  /** The per service port and per endpoint chains this text leaves in the kernel. */
  chains: string[];
}

export function svcChain(names: ProxyNames, p: Pick<ServicePortInfo, "name" | "protocol">): string {
  return `${names.svcPrefix}${proxyChainSuffix(`${p.name}/${p.protocol}`)}`;
}

export function sepChain(names: ProxyNames, p: Pick<ServicePortInfo, "name" | "protocol">, ep: { ip: string; port: number }): string {
  return `${names.sepPrefix}${proxyChainSuffix(`${p.name}/${p.protocol}/${ep.ip}:${ep.port}`)}`;
}

export function buildRuleset(input: RulesetInput): Ruleset {
  const { names, clusterCidr, ports } = input;
  const tag = (what: string) => `-m comment --comment "${names.comment}${what ? ` ${what}` : ""}"`;
  const natChains: string[] = [names.servicesChain, names.nodePortsChain, names.markMasqChain];
  const nat: string[] = [];
  const filter: string[] = [];
  const mark = names.markMasqChain;
  nat.push(`-A ${mark} ${tag("")} -j MARK --or-mark ${PROXY_MASQ_MARK}`);
  filter.push(`-A ${names.filterChain} -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT ${tag("block localnet from outside loopback")} -j DROP`);
  for (const p of ports) {
    const proto = p.protocol.toLowerCase();
    const svcName = `${p.name}${p.protocol === "UDP" ? "/udp" : ""}`;
    if (p.endpoints.length === 0) {
      // TCP gets a reset: the kernel rate-limits ICMP errors (net.ipv4.icmp_ratelimit, 1/s per
      // destination), so a client retrying would wait for its SYN's retransmission, 1 s later.
      const reject = `-j REJECT --reject-with ${p.protocol === "TCP" ? "tcp-reset" : "icmp-port-unreachable"}`;
      filter.push(`-A ${names.filterChain} -d ${p.clusterIp}/32 -p ${proto} -m ${proto} --dport ${p.port} -m conntrack --ctstate NEW ${tag(`${svcName} has no endpoints`)} ${reject}`);
      if (p.nodePort) {
        filter.push(`-A ${names.filterChain} -p ${proto} -m addrtype --dst-type LOCAL -m ${proto} --dport ${p.nodePort} -m conntrack --ctstate NEW ${tag(`${svcName} has no endpoints`)} ${reject}`);
      }
      continue;
    }
    const svc = svcChain(names, p);
    natChains.push(svc);
    nat.push(`-A ${names.servicesChain} -d ${p.clusterIp}/32 -p ${proto} -m ${proto} --dport ${p.port} ${tag(`${svcName} cluster IP`)} -j ${svc}`);
    if (p.nodePort) {
      nat.push(`-A ${names.nodePortsChain} -p ${proto} -m ${proto} --dport ${p.nodePort} ${tag(svcName)} -j ${mark}`);
      nat.push(`-A ${names.nodePortsChain} -p ${proto} -m ${proto} --dport ${p.nodePort} ${tag(svcName)} -j ${svc}`);
    }
    nat.push(`-A ${svc} ! -s ${clusterCidr} -d ${p.clusterIp}/32 -p ${proto} -m ${proto} --dport ${p.port} ${tag(`${svcName} cluster IP`)} -j ${mark}`);
    const n = p.endpoints.length;
    p.endpoints.forEach((ep, i) => {
      const sep = sepChain(names, p, ep);
      natChains.push(sep);
      const left = n - i;
      const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : "";
      nat.push(`-A ${svc} ${tag(`${svcName} -> ${ep.ip}:${ep.port}`)}${pick} -j ${sep}`);
      nat.push(`-A ${sep} -s ${ep.ip}/32 ${tag(svcName)} -j ${mark}`);
      nat.push(`-A ${sep} -p ${proto} ${tag(svcName)} -m ${proto} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
    });
  }
  nat.push(`-A ${names.servicesChain} ${tag("node ports")} -m addrtype --dst-type LOCAL -j ${names.nodePortsChain}`);
  const wanted = new Set(natChains);
  const deleted = [...new Set(input.existingNatChains)].filter((c) => !wanted.has(c) && (c.startsWith(names.svcPrefix) || c.startsWith(names.sepPrefix))).sort();
  const text = [
    "*nat",
    ...natChains.map((c) => `:${c} - [0:0]`),
    ...deleted.map((c) => `:${c} - [0:0]`),
    ...nat,
    ...deleted.map((c) => `-X ${c}`),
    "COMMIT",
    "*filter",
    `:${names.filterChain} - [0:0]`,
    ...filter,
    "COMMIT",
    "",
  ].join("\n");
  const chains = natChains.filter((c) => c.startsWith(names.svcPrefix) || c.startsWith(names.sepPrefix));
  return { text, natRules: nat.length, filterRules: filter.length, deleted, chains };
}

/** The chains of `table` in `iptables-save -t table` output that start with one of the prefixes. */
export function chainsIn(save: string, prefixes: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of save.split("\n")) {
    if (!line.startsWith(":")) continue;
    const name = line.slice(1).split(" ")[0] ?? "";
    if (prefixes.some((p) => name.startsWith(p))) out.push(name);
  }
  return out;
}
