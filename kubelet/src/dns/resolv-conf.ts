// A pod's resolv.conf, as the kubelet forms it (kubernetes pkg/kubelet/network/dns/dns.go):
//   ClusterFirst (default)      nameserver <--cluster-dns>, search NS.svc.ZONE svc.ZONE ZONE + the
//                               host's searches, options ndots:5; without --cluster-dns it falls back
//                               to Default, with a Warning event (MissingClusterDNS)
//   ClusterFirst + hostNetwork  Default (ClusterFirstWithHostNet asks for the cluster's)
//   Default                     the node's resolv.conf (--resolv-conf)
//   None                        only the pod's dnsConfig
// then dnsConfig's nameservers and searches are appended (duplicates dropped) and its options merged
// (a pod's option replaces the same name's value), and the result is cut to Kubernetes' limits (3
// nameservers, 32 search domains of at most 2048 characters in all) with a Warning event.
import { CLUSTER_FIRST_OPTIONS, clusterSearches, MAX_DNS_NAMESERVERS, MAX_DNS_SEARCH_LIST_CHARS, MAX_DNS_SEARCH_PATHS, type Pod, type ResolvConf } from "@mk/proto";

export interface NodeDns {
  /** --cluster-dns: the cluster DNS Service's address(es); empty when the kubelet has none. */
  clusterDns: string[];
  /** --cluster-domain. */
  clusterDomain: string;
  /** The node's resolv.conf (--resolv-conf), parsed. */
  host: ResolvConf;
}

export interface PodDnsResult {
  config: ResolvConf;
  /** Warning events for the pod: [reason, message]. */
  warnings: [string, string][];
}

type DnsType = "cluster" | "host" | "none";

function dnsType(pod: Pod): DnsType {
  switch (pod.spec?.dnsPolicy || "ClusterFirst") {
    case "None":
      return "none";
    case "ClusterFirstWithHostNet":
      return "cluster";
    case "ClusterFirst":
      return pod.spec?.hostNetwork ? "host" : "cluster";
    default:
      return "host";
  }
}

function omitDuplicates(list: string[]): string[] {
  return [...new Set(list)];
}

/** dnsConfig options over existing ones: name[:value], a later name replacing the earlier value in place. */
function mergeOptions(existing: string[], pod: readonly { name: string; value?: string | undefined }[]): string[] {
  const m = new Map<string, string>();
  for (const op of existing) {
    const i = op.indexOf(":");
    if (i === -1) m.set(op, "");
    else m.set(op.slice(0, i), op.slice(i + 1));
  }
  for (const op of pod) m.set(op.name, op.value ?? "");
  return [...m].map(([k, v]) => (v ? `${k}:${v}` : k));
}

export function podDnsConfig(pod: Pod, node: NodeDns): PodDnsResult {
  const warnings: [string, string][] = [];
  let type = dnsType(pod);
  if (type === "cluster" && node.clusterDns.length === 0) {
    warnings.push(["MissingClusterDNS", `pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`]);
    type = "host";
  }
  let config: ResolvConf;
  if (type === "none") config = { nameservers: [], searches: [], options: [] };
  else if (type === "cluster") {
    const searches = node.clusterDomain ? omitDuplicates([...clusterSearches(pod.metadata?.namespace || "default", node.clusterDomain), ...node.host.searches]) : [...node.host.searches];
    config = { nameservers: [...node.clusterDns], searches, options: [...CLUSTER_FIRST_OPTIONS] };
  } else config = { nameservers: [...node.host.nameservers], searches: [...node.host.searches], options: [...node.host.options] };
  const extra = pod.spec?.dnsConfig;
  if (extra) {
    config = {
      nameservers: omitDuplicates([...config.nameservers, ...extra.nameservers]),
      searches: omitDuplicates([...config.searches, ...extra.searches]),
      options: mergeOptions(config.options, extra.options),
    };
  }
  return { config: fitLimits(config, warnings), warnings };
}

function fitLimits(c: ResolvConf, warnings: [string, string][]): ResolvConf {
  let { nameservers, searches } = c;
  if (nameservers.length > MAX_DNS_NAMESERVERS) {
    nameservers = nameservers.slice(0, MAX_DNS_NAMESERVERS);
    warnings.push(["DNSConfigForming", `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${nameservers.join(" ")}`]);
  }
  // Search domains are written without a trailing dot; then the count and total length limits.
  searches = searches.map((s) => s.replace(/\.$/, "")).filter((s) => s !== "");
  let cut = false;
  if (searches.length > MAX_DNS_SEARCH_PATHS) {
    searches = searches.slice(0, MAX_DNS_SEARCH_PATHS);
    cut = true;
  }
  while (searches.join(" ").length > MAX_DNS_SEARCH_LIST_CHARS) {
    searches = searches.slice(0, -1);
    cut = true;
  }
  if (cut) warnings.push(["DNSConfigForming", `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(" ")}`]);
  return { nameservers, searches, options: c.options };
}
