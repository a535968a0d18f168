// `cluster down` for a local cluster's pod network: the kubelets (sharing the host's namespace)
// wrote the cluster's rules into mk's chains with one jump each from DOCKER-USER (or FORWARD) and
// POSTROUTING, and made one Docker network per node. Once they have stopped, this removes the jumps
// and chains of this cluster (named after its id, as the kubelet names them), and the pod networks
// no container uses any more (kubelets leave pods running when stopped; a later `up` adopts them
// on the networks kept).
import { POD_NETWORK_CLUSTER_LABEL, POD_NETWORK_KIND_LABEL, podNetworkNames } from "@mk/proto";
import { must, run } from "./lab/exec.js";

export interface PodNetworkCleanup {
  rules: boolean;
  networksRemoved: string[];
  networksInUse: string[];
}

const jump = (table: string, parent: string, chain: string, comment: string, op: string) => ["-w", "-t", table, op, parent, "-m", "comment", "--comment", comment, "-j", chain];

async function removeChain(table: string, parents: string[], chain: string, comment: string): Promise<boolean> {
  let removed = false;
  for (const parent of parents) {
    while ((await run("iptables", jump(table, parent, chain, comment, "-C"))).code === 0) {
      await must("iptables", jump(table, parent, chain, comment, "-D"));
      removed = true;
    }
  }
  if ((await run("iptables", ["-w", "-t", table, "-S", chain])).code === 0) {
    await must("iptables", ["-w", "-t", table, "-F", chain]);
    await must("iptables", ["-w", "-t", table, "-X", chain]);
    removed = true;
  }
  return removed;
}

export async function podNetworkDown(clusterId: string): Promise<PodNetworkCleanup> {
  const names = podNetworkNames(clusterId);
  const out: PodNetworkCleanup = { rules: false, networksRemoved: [], networksInUse: [] };
  // Without root there are no rules of ours to remove (the kubelets could not have written them either).
  if (process.getuid?.() === 0) {
    const f = await removeChain("filter", ["DOCKER-USER", "FORWARD"], names.filterChain, names.comment);
    const n = await removeChain("nat", ["POSTROUTING"], names.natChain, names.comment);
    out.rules = f || n;
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
