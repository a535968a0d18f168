// `cluster down` for a local cluster's pod network and node proxy: the kubelets (sharing the host's
// namespace) wrote the cluster's rules into mk's chains with one jump each from DOCKER-USER (or
// // FORWARD) and POSTROUTING, and the proxy's from nat PREROUTING and OUTPUT and filter INPUT and
// OUTPUT, and made one Docker network per node. Once they have stopped, this removes the jumps and
// chains of this cluster (named after its id, as the kubelet names them), the proxy's ownership
// lock files (/run/mk-proxy-<hash>-<netns>.lock), and the pod networks
// no container uses any more (kubelets leave pods running when stopped; a later `up` adopts them
// on the networks kept).
import { readdir, rm } from "node:fs/promises";
import { clusterHash, POD_NETWORK_CLUSTER_LABEL, POD_NETWORK_KIND_LABEL } from "@mk/proto";
import { must, run } from "./lab/exec.js";

export interface PodNetworkCleanup {
  rules: boolean;
  networksRemoved: string[];
  networksInUse: string[];
}

/**
 * Removes every rule and chain of the cluster from one table: the tagged jumps from chains mk does
 * not own (each carries the cluster's hash in its comment), then mk's chains named with the hash
 * (the pod network's and the node proxy's: MK-PODS, MK-MASQ, MK-FW, MK-SERVICES, MK-SVC-…, …),
 * flushed first so that no chain is still referenced when it is deleted. Nothing else is touched.
 */
async function removeClusterRules(table: string, h: string): Promise<boolean> {
  const save = await run("iptables-save", ["-t", table]);
  if (save.code !== 0) return false;
  const ours = (chain: string) => chain.startsWith("MK-") && chain.includes(h);
  const chains: string[] = [];
  const jumps: string[][] = [];
  for (const line of save.stdout.split("\n")) {
    if (line.startsWith(":")) {
      const name = line.slice(1).split(" ")[0] ?? "";
      if (ours(name)) chains.push(name);
    } else if (line.startsWith("-A ") && line.includes(h)) {
      const words = line.split(" ");
      // A jump mk put into a chain it does not own: `-A PARENT -m comment --comment mk-…-<h> -j MK-…`
      // (no spaces in its comment), deleted by its own spec.
      if (!ours(words[1] ?? "")) jumps.push(["-D", ...words.slice(1)]);
    }
  }
  for (const j of jumps) await must("iptables", ["-w", "-t", table, ...j]);
  for (const c of chains) await must("iptables", ["-w", "-t", table, "-F", c]);
  for (const c of chains) await must("iptables", ["-w", "-t", table, "-X", c]);
  return jumps.length + chains.length > 0;
}

/** The node proxies' ownership lock files of the cluster (one per network namespace it ran in). */
export async function removeProxyLocks(clusterId: string): Promise<void> {
  const h = clusterHash(clusterId);
  for (const f of await readdir("/run").catch(() => [] as string[])) {
    if (f.startsWith(`mk-proxy-${h}-`) && f.endsWith(".lock")) await rm(`/run/${f}`, { force: true });
  }
}

export async function podNetworkDown(clusterId: string): Promise<PodNetworkCleanup> {
  const out: PodNetworkCleanup = { rules: false, networksRemoved: [], networksInUse: [] };
  // Without root there are no rules of ours to remove (the kubelets could not have written them either).
  if (process.getuid?.() === 0) {
    const h = clusterHash(clusterId);
    const f = await removeClusterRules("filter", h);
    const n = await removeClusterRules("nat", h);
    out.rules = f || n;
    await removeProxyLocks(clusterId);
  }
  const ls = await run("docker", ["network", "ls", "-q", "--filter", `label=${POD_NETWORK_CLUSTER_LABEL}=${clusterId}`, "--filter", `label=${POD_NETWORK_KIND_LABEL}=pods`]);
  for (const id of ls.code === 0 ? ls.stdout.split("\n").filter(Boolean) : []) {
    const info = await run("docker", ["network", "inspect", "--format", "{{.Name}} {{len .Containers}}", id]);
    const [name = id, used = "0"] = info.stdout.trim().split(" ");
    if (info.code !== 0) continue;
    if (used !== "0") {
      out.networksInUse.push(name);
      continue;
    }
    if ((await run("docker", ["network", "rm", id])).code === 0) out.networksRemoved.push(name);
  }
  return out;
}
