// The lab's network, made with `ip`: a bridge on the host, and per node a network namespace joined
// to it by a veth pair. Nothing here has a default route: a node reaches the bridge (so the API
// server and the other nodes) and nothing else. Pod traffic between nodes crosses the bridge, and
// with br_netfilter the host's FORWARD chain sees it (Docker's drops it): an accept for traffic
// within the bridge goes into mk's own chain (host-rules.ts). The host's routes to the pods come
// from the cluster (pod-routes.ts), once the nodes have their podCIDRs.
// Setup is idempotent (a second `up` keeps what exists); teardown removes exactly these names.
import { existsSync, rmSync, rmdirSync } from "node:fs";
import { dirname } from "node:path";
import { CommandError, must, run } from "./exec.js";
import { labHostRulesDown, labHostRulesUp } from "./host-rules.js";
import { type LabLayout, type LabLink, MAX_LABS } from "./layout.js";

const linkExists = async (name: string, netns?: string) =>
  (await run("ip", [...(netns ? ["-n", netns] : []), "link", "show", "dev", name])).code === 0;

export function requireRoot(): void {
  if (process.getuid && process.getuid() !== 0) {
    throw new Error("lab mode makes network namespaces, a bridge and one dockerd per node: run it as root");
  }
}

/**
 * A lab number whose subnets no interface or route of this host uses, except this lab's own bridge
 * (which holds its subnet while it runs): prefer if it is free, else the first free one.
 */
export async function pickLabNet(ownBridge: string, prefer?: number): Promise<number> {
  const lines = `${await must("ip", ["-4", "-o", "addr", "show"])}\n${await must("ip", ["-4", "route", "show"])}`.split("\n");
  const seen = lines.filter((l) => !new RegExp(`\\b${ownBridge}\\b`).test(l)).join("\n");
  const free = (net: number) => {
    if (seen.includes(`10.213.${net}.`)) return false;
    return true;
  };
  if (prefer !== undefined && free(prefer)) return prefer;
  for (let net = 0; net < MAX_LABS; net++) if (free(net)) return net;
  throw new Error(`every lab network (10.213.0-${MAX_LABS - 1}.0/24) is in use on this host: stop a lab first`);
}

async function nodeUp(layout: LabLayout, node: LabLink): Promise<void> {
  if (existsSync(node.netnsPath)) {
    // Ours from an earlier `up` only if its veth is in our bridge; a namesake from elsewhere is not touched.
    if (!(await linkExists(node.hostVeth))) {
      throw new Error(`network namespace ${node.netns} exists but is not part of this lab (no ${node.hostVeth}): remove it (ip netns del ${node.netns}) or pick another --node-prefix`);
    }
  } else {
    if (await linkExists(node.hostVeth)) await must("ip", ["link", "del", node.hostVeth]);
    await must("ip", ["netns", "add", node.netns]);
    await must("ip", ["link", "add", node.hostVeth, "type", "veth", "peer", "name", node.peerVeth]);
    await must("ip", ["link", "set", node.peerVeth, "netns", node.netns]);
    await must("ip", ["-n", node.netns, "link", "set", node.peerVeth, "name", "eth0"]);
  }
  await must("ip", ["-n", node.netns, "addr", "replace", `${node.ip}/24`, "dev", "eth0"]);
  await must("ip", ["-n", node.netns, "link", "set", "lo", "up"]);
  await must("ip", ["-n", node.netns, "link", "set", "eth0", "up"]);
  await must("ip", ["link", "set", node.hostVeth, "master", layout.bridge]);
  // Up even if the last run left it cut: a fresh `up` starts with every link healed.
  await must("ip", ["link", "set", node.hostVeth, "up"]);
}

/** Deletes a link; one that went away meanwhile is as good as deleted. */
async function delLink(name: string): Promise<void> {
  const r = await run("ip", ["link", "del", name]);
  if (r.code !== 0 && (await linkExists(name))) throw new CommandError("ip", ["link", "del", name], r);
}

/** Makes (or finds) the bridge, the namespaces, the veths and the routes. */
export async function labNetworkUp(layout: LabLayout): Promise<void> {
  requireRoot();
  if (!(await linkExists(layout.bridge))) await must("ip", ["link", "add", layout.bridge, "type", "bridge"]);
  await must("ip", ["addr", "replace", `${layout.hostIp}/24`, "dev", layout.bridge]);
  await must("ip", ["link", "set", layout.bridge, "up"]);
  await labHostRulesUp(layout);
  for (const node of [...layout.etcdMembers, ...layout.nodes]) await nodeUp(layout, node);
}

/**
 * Removes the namespaces, veths and bridge (the routes go with the bridge) and the lab's /run files.
 * Call it once the nodes' dockerds and kubelets have stopped. Idempotent: what is gone is skipped;
 * returns whether anything was there.
 */
export async function labNetworkDown(layout: LabLayout): Promise<boolean> {
  let removed = false;
  for (const node of [...layout.nodes, ...layout.etcdMembers]) {
    // The pair first, by its host end: deleting a namespace destroys its devices later, in the
    // background, so the host end would vanish under our feet.
    if (await linkExists(node.hostVeth)) {
      await delLink(node.hostVeth);
      removed = true;
    }
    if (existsSync(node.netnsPath)) {
      await must("ip", ["netns", "del", node.netns]);
      removed = true;
    }
  }
  if (await linkExists(layout.bridge)) {
    await delLink(layout.bridge);
    removed = true;
  }
  if (await labHostRulesDown(layout)) removed = true;
  rmSync(layout.runDir, { recursive: true, force: true });
  try {
    rmdirSync(dirname(layout.runDir));
  } catch {
    // Another lab's files are still there (ENOTEMPTY), or it is gone already: either is fine.
  }
  return removed;
}

/** Takes a node's (or an etcd member's) link down (cut) or up (heal), on the host's end of its veth. */
export async function setLink(node: LabLink, up: boolean): Promise<void> {
  await must("ip", ["link", "set", node.hostVeth, up ? "up" : "down"]);
}

/** Whether the host's end of the node's veth is up; undefined when it does not exist. */
export async function linkUp(node: LabLink): Promise<boolean | undefined> {
  const r = await run("ip", ["-o", "link", "show", "dev", node.hostVeth]);
  if (r.code !== 0) return undefined;
  return /[<,]UP[,>]/.test(r.stdout);
}
