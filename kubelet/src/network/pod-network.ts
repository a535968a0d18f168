// The pod network seen by the kubelet: a small interface with one implementation (a Docker bridge
// network on the node's podCIDR, docker-network.ts). Pods' sandboxes join `sandboxNetwork`, so pod IPs
// come from the podCIDR the node IPAM controller gave this Node.
import type { PeerNode } from "./routes.js";

export interface PodNetwork {
  /** Makes (or finds) this node's pod network on podCidr and the host rules; idempotent. */
  ensure(podCidr: string): Promise<void>;
  /** What a pod sandbox joins (a Docker network name). */
  readonly sandboxNetwork: string;
  /** Routes to every other node's podCIDR via its InternalIP (those not on a local bridge). */
  syncRoutes(nodes: PeerNode[]): Promise<void>;
  /** Puts every port of the pod bridge in hairpin mode (a pod reaching its own Service); cheap, called every second. */
  hairpin(): Promise<void>;
  /** Removes this node's pod network (its pods' sandboxes must be gone). */
  teardown(): Promise<void>;
}
