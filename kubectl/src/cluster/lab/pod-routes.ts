// The host's routes to a lab's pods: the host is not a node, but `curl http://<podIP>:8080/` from it
// is how a lab is explored, so `cluster up --isolated` routes each node's podCIDR (from its Node,
// once nodes-ready.ts saw them all) via that node's address on the bridge, tagged `proto 109` as the
// kubelets' routes are. They go with the bridge at `cluster down`. (A Node re-registered later with
// another podCIDR needs another `up`.)
import { type Node, POD_ROUTE_PROTO } from "@mk/proto";
import { must } from "./exec.js";
import type { LabLayout } from "./layout.js";

/** Routes each lab node's podCIDR via the node; returns node → podCIDR. */
export async function labPodRoutes(layout: LabLayout, nodes: ReadonlyMap<string, Node>): Promise<Map<string, string>> {
  const cidrs = new Map<string, string>();
  for (const node of layout.nodes) {
    const cidr = nodes.get(node.name)?.spec?.podCidr;
    if (!cidr) throw new Error(`node ${node.name} has no podCIDR`);
    await must("ip", ["route", "replace", cidr, "via", node.ip, "dev", layout.bridge, "proto", String(POD_ROUTE_PROTO)]);
    cidrs.set(node.name, cidr);
  }
  return cidrs;
}
