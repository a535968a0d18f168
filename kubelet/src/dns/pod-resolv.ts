// The pod's resolv.conf on the host, `<root-dir>/pods/<uid>/resolv.conf`, bound at /etc/resolv.conf
// in each of its containers (pod-spec.ts). On a user-defined Docker network Docker would write its
// embedded resolver (127.0.0.11) there, which knows nothing of the cluster. Written when the pod's
// sandbox is made (Kubernetes fixes a pod's DNS at sandbox creation) and again if it went missing.
import { readFileSync } from "node:fs";
import { access, mkdir, rename, writeFile } from "node:fs/promises";
import { DEFAULT_CLUSTER_DOMAIN, formatResolvConf, hostResolvConfPath, type Pod, parseResolvConf, type ResolvConf } from "@mk/proto";
import { podDir, resolvConfPath } from "../runtime/names.js";
import { type KubeletDns, type NodeSettings, podIdentity, rootDirOf } from "../runtime/pod-spec.js";
import { podDnsConfig } from "./resolv-conf.js";

/** --resolv-conf's default: /etc/resolv.conf, or systemd-resolved's real list when it names the stub. */
export function defaultResolvConf(): string {
  try {
    return hostResolvConfPath(readFileSync("/etc/resolv.conf", "utf8"));
  } catch {
    return "/etc/resolv.conf";
  }
}

export function defaultKubeletDns(): KubeletDns {
  return { clusterDns: [], clusterDomain: DEFAULT_CLUSTER_DOMAIN, resolvConf: defaultResolvConf() };
}

export function podResolvConfPath(node: NodeSettings, pod: Pod): string {
  return resolvConfPath(rootDirOf(node), podIdentity(pod).uid);
}

function readHost(path: string): ResolvConf {
  try {
    return parseResolvConf(readFileSync(path, "utf8"));
  } catch {
    // No file: no host resolvers (a None or ClusterFirst pod does not need them).
    return { nameservers: [], searches: [], options: [] };
  }
}

/** Writes the pod's resolv.conf; returns the Warning events to record ([reason, message]). */
export async function writePodResolvConf(pod: Pod, node: NodeSettings, dns: KubeletDns): Promise<[string, string][]> {
  const { config, warnings } = podDnsConfig(pod, { clusterDns: dns.clusterDns, clusterDomain: dns.clusterDomain, host: readHost(dns.resolvConf) });
  const path = podResolvConfPath(node, pod);
  await mkdir(podDir(rootDirOf(node), podIdentity(pod).uid), { recursive: true });
  // A new file renamed over the old one: a container never reads half of it.
  await writeFile(`${path}.tmp`, formatResolvConf(config), { mode: 0o644 });
  await rename(`${path}.tmp`, path);
  return warnings;
}

/** Writes it when missing (a pod dir removed under a running pod); true when it was written. */
export async function ensurePodResolvConf(pod: Pod, node: NodeSettings, dns: KubeletDns): Promise<boolean> {
  try {
    await access(podResolvConfPath(node, pod));
    return false;
  } catch {
    await writePodResolvConf(pod, node, dns);
    return true;
  }
}
