// `cluster up` is done when its nodes can run pods: every Node registered, with a podCIDR (node
// IPAM) and Ready (a kubelet is not Ready before its pod network is set up). Without this wait a
// deployment created right after `up` lands on whichever nodes happened to be ready first.
import type { Node } from "@mk/proto";
import { connect, tlsFromFiles } from "@mk/proto/client";

export interface ApiAccess {
  server: string;
  tls?: { ca: string; cert: string; key: string } | undefined;
}

const ready = (n: Node) => n.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") === true;

/** Waits (up to timeoutMs) until every named Node has a podCIDR and is Ready; returns them by name. */
export async function waitNodesReady(api: ApiAccess, names: string[], timeoutMs: number): Promise<Map<string, Node>> {
  const cs = connect({ server: api.server, ...(api.tls ? { tls: tlsFromFiles(api.tls) } : {}), userAgent: "mkctl" });
  const deadline = Date.now() + timeoutMs;
  const seen = new Map<string, Node>();
  try {
    for (;;) {
      try {
        for (const n of (await cs.nodes.list()).items) if (n.metadata?.name) seen.set(n.metadata.name, n);
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      const waiting = names.filter((name) => {
        const n = seen.get(name);
        return !n?.spec?.podCidr || !ready(n);
      });
      if (waiting.length === 0) return seen;
      if (Date.now() > deadline) {
        const why = waiting.map((name) => `${name} (${!seen.get(name) ? "not registered" : !seen.get(name)?.spec?.podCidr ? "no podCIDR: is the controller manager's node IPAM running, --cluster-cidr large enough?" : "not Ready"})`);
        throw new Error(`nodes not ready after ${timeoutMs / 1000}s: ${why.join(", ")}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    cs.close();
  }
}
