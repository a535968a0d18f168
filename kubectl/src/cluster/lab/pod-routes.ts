// The host's routes to a lab's pods: the host is not a node, but `curl http://<podIP>:8080/` from it
// is how a lab is explored, so `cluster up --isolated` waits until every lab Node has its podCIDR and
// routes each via that node's address on the bridge, tagged `proto 109` as the kubelets' routes are.
// They go with the bridge at `cluster down`. (A Node re-registered later with another podCIDR needs
// another `up`.)
import { POD_ROUTE_PROTO } from "@mk/proto";
import { connect, tlsFromFiles } from "@mk/proto/client";
import { must } from "./exec.js";
import type { LabLayout } from "./layout.js";

export interface ApiAccess {
  server: string;
  tls?: { ca: string; cert: string; key: string } | undefined;
}

/** Waits (up to timeoutMs) for the lab nodes' podCIDRs, then routes each; returns node → podCIDR. */
export async function labPodRoutes(layout: LabLayout, api: ApiAccess, timeoutMs: number): Promise<Map<string, string>> {
  const cs = connect({ server: api.server, ...(api.tls ? { tls: tlsFromFiles(api.tls) } : {}), userAgent: "mkctl" });
  const deadline = Date.now() + timeoutMs;
  const cidrs = new Map<string, string>();
  try {
    while (cidrs.size < layout.nodes.length) {
      try {
        for (const n of (await cs.nodes.list()).items) if (n.metadata?.name && n.spec?.podCidr) cidrs.set(n.metadata.name, n.spec.podCidr);
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      const missing = layout.nodes.filter((n) => !cidrs.has(n.name)).map((n) => n.name);
      if (missing.length === 0) break;
      if (Date.now() > deadline) throw new Error(`no podCIDR for ${missing.join(", ")} after ${timeoutMs / 1000}s: is the controller manager's node IPAM running (and --cluster-cidr large enough)?`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    cs.close();
  }
  for (const node of layout.nodes) {
    const cidr = cidrs.get(node.name) ?? "";
    await must("ip", ["route", "replace", cidr, "via", node.ip, "dev", layout.bridge, "proto", String(POD_ROUTE_PROTO)]);
  }
  return cidrs;
}
