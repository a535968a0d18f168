// Cluster DNS names and rules (Kubernetes' DNS specification, CoreDNS's kubernetes plugin): the
// API server's DNS server answers with them, the kubelet writes pods' resolv.conf with them, and
// the cluster tooling finds the kube-dns address with them. Pure functions, no I/O.
import { formatIPv4, parseCidr } from "../cidr.js";

export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";
/** The cluster DNS Service: kube-system/kube-dns, as in Kubernetes (CoreDNS keeps the name). */
export const KUBE_DNS_SERVICE = "kube-dns";
export const KUBE_DNS_NAMESPACE = "kube-system";
export const KUBE_DNS_LABELS: Readonly<Record<string, string>> = { "k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS" };
/** Its ports' names, as CoreDNS's Service names them. */
export const DNS_PORT_UDP = "dns";
export const DNS_PORT_TCP = "dns-tcp";
/** Record TTL in seconds (CoreDNS's kubernetes plugin default). */
export const DNS_TTL = 5;
/** `options ndots:5` of a ClusterFirst pod (kubelet's defaultDNSOptions). */
export const CLUSTER_FIRST_OPTIONS: readonly string[] = ["ndots:5"];
/** Kubernetes' limits on a pod's resolv.conf (kubelet dns.go). */
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
/** systemd-resolved's stub: useless inside a container or as an upstream; its real servers are elsewhere. */
export const SYSTEMD_RESOLVED_STUB = "127.0.0.53";
export const SYSTEMD_RESOLVED_CONF = "/run/systemd/resolve/resolv.conf";

/**
 * The kube-dns ClusterIP: the tenth address of the service range (10.96.0.10 in 10.96.0.0/12), as
 * kubeadm picks it. The `kubernetes` Service has the first (10.96.0.1).
 */
export function kubeDnsClusterIp(serviceCidr: string): string {
  const c = parseCidr(serviceCidr);
  return formatIPv4(c.base + 10);
}

/** `NAME.NS.svc.DOMAIN` (no trailing dot). */
export function serviceFqdn(name: string, namespace: string, domain = DEFAULT_CLUSTER_DOMAIN): string {
  return `${name}.${namespace}.svc.${domain}`;
}

/** A ClusterFirst pod's search list: `NS.svc.DOMAIN svc.DOMAIN DOMAIN` (then the host's). */
export function clusterSearches(namespace: string, domain = DEFAULT_CLUSTER_DOMAIN): string[] {
  return [`${namespace}.svc.${domain}`, `svc.${domain}`, domain];
}

/** An endpoint without a hostname is named by its address with dashes: 10-244-1-5 (CoreDNS). */
export function dashedIp(ip: string): string {
  return ip.replace(/\./g, "-");
}

/** What a resolv.conf says: nameservers, search domains, options (in order). */
export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** Parses resolv.conf text as glibc does: the last `search`/`domain` line wins, options accumulate. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    const [key, ...fields] = line.split(/\s+/);
    if (key === "nameserver" && fields[0]) out.nameservers.push(fields[0]);
    else if (key === "search" || key === "domain") out.searches = fields.filter((f) => f !== "");
    else if (key === "options") out.options.push(...fields.filter((f) => f !== ""));
  }
  return out;
}

export function formatResolvConf(c: ResolvConf): string {
  const lines = c.nameservers.map((n) => `nameserver ${n}`);
  if (c.searches.length > 0) lines.push(`search ${c.searches.join(" ")}`);
  if (c.options.length > 0) lines.push(`options ${c.options.join(" ")}`);
  return `${lines.join("\n")}\n`;
}

/**
 * Which file holds the host's real resolvers: /etc/resolv.conf, unless it names only
 * systemd-resolved's stub (127.0.0.53), then systemd-resolved's own list of upstream servers.
 */
export function hostResolvConfPath(etcResolvConf: string): string {
  const servers = parseResolvConf(etcResolvConf).nameservers;
  return servers.includes(SYSTEMD_RESOLVED_STUB) ? SYSTEMD_RESOLVED_CONF : "/etc/resolv.conf";
}
