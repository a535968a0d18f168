// The node's side of the pod network, in order: wait for the Node's podCIDR (node IPAM gives it;
// --pod-cidr stands in for a cluster without one), set up the pod network on it, say so (the caller
// posts NetworkUnavailable=False and starts the pod loop), then keep the routes to the other nodes'
// podCIDRs in step with the Nodes (a list every few seconds: kindnet's loop over Nodes).
import type { Clientset } from "@mk/proto/client";
import type { Logger } from "pino";
import type { NetworkStatus } from "../node/registration.js";
import type { PodNetwork } from "./pod-network.js";
import type { PeerNode } from "./routes.js";

export interface NetworkManagerOptions {
  nodeName: string;
  /** Used when the Node has no podCIDR (Kubernetes' --pod-cidr, for a cluster without node IPAM). */
  podCidr?: string | undefined;
  pollMs?: number;
  routeSyncMs?: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

export class NetworkManager {
  private readonly cs: Clientset;
  private readonly net: PodNetwork;
  private readonly o: NetworkManagerOptions;
  private readonly log: Logger;
  private state: NetworkStatus = { ready: false, reason: "NoPodCIDR", message: "waiting for the Node's podCIDR" };
  podCidr = "";

  constructor(cs: Clientset, net: PodNetwork, o: NetworkManagerOptions, log: Logger) {
    this.cs = cs;
    this.net = net;
    this.o = o;
    this.log = log;
  }

  status(): NetworkStatus {
    return this.state;
  }

  /** Until the signal aborts: calls onReady once the network is set up, then keeps routes in step. */
  async run(signal: AbortSignal, onReady: () => Promise<void>): Promise<void> {
    const poll = this.o.pollMs ?? 1_000;
    while (!signal.aborted && !this.podCidr) {
      try {
        const node = await this.cs.nodes.get(this.o.nodeName, "", { signal });
        const cidr = node.spec?.podCidr || this.o.podCidr || "";
        if (cidr) {
          await this.net.ensure(cidr);
          this.podCidr = cidr;
          this.state = { ready: true, reason: "RouteCreated", message: `pod network ${this.net.sandboxNetwork} on ${cidr}` };
          this.log.info({ podCIDR: cidr, network: this.net.sandboxNetwork }, "pod network ready");
          break;
        }
      } catch (err) {
        if (signal.aborted) return;
        const message = err instanceof Error ? err.message : String(err);
        this.state = { ready: false, reason: (err as { reason?: string }).reason ?? "NetworkSetupFailed", message };
        this.log.warn({ err }, "pod network not set up; retrying");
        await sleep(5 * poll, signal);
        continue;
      }
      await sleep(poll, signal);
    }
    if (signal.aborted) return;
    await onReady();
    // Routes every routeSyncMs; hairpin mode on the bridge's new ports every second (a new pod's
    // veth appears when its sandbox starts, well before the pod is Ready and becomes an endpoint).
    let nextRoutes = 0;
    while (!signal.aborted) {
      if (Date.now() >= nextRoutes) {
        await this.syncRoutes(signal);
        nextRoutes = Date.now() + (this.o.routeSyncMs ?? 5_000);
      }
      await this.net.hairpin().catch((err: unknown) => this.log.warn({ err }, "hairpin mode not set"));
      await sleep(Math.min(1_000, this.o.routeSyncMs ?? 5_000), signal);
    }
  }

  private async syncRoutes(signal: AbortSignal): Promise<void> {
    try {
      const nodes = (await this.cs.nodes.list({ signal })).items;
      const peers: PeerNode[] = nodes.map((n) => ({
        name: n.metadata?.name ?? "",
        podCidr: n.spec?.podCidr ?? "",
        internalIp: n.status?.addresses.find((a) => a.type === "InternalIP")?.address ?? "",
      }));
      await this.net.syncRoutes(peers);
    } catch (err) {
      // The next tick tries again; a route missing meanwhile only delays pod→pod traffic to that node.
      if (!signal.aborted) this.log.warn({ err }, "pod routes not synced");
    }
  }
}
