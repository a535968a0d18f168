// How fast to evict, from how much of the cluster is down (Kubernetes' zone states; mk has one zone).
//
//   FullDisruption     no node Ready: the fault is more likely ours (the control plane's network,
//                      etcd) than every kubelet's, and evicting would empty the cluster — evict nothing.
//   PartialDisruption  more than 2 nodes not Ready and they are ≥ 55 % of all: evict at the secondary
//                      rate (0.01 node/s) in a large cluster (> 50 nodes), not at all in a small one.
//   Normal             evict at the normal rate (0.1 node/s: one node's pods every 10 s).
//
// Example: 3 nodes, 1 silent → 1/3 = 33 % not Ready → Normal. 3 nodes, 3 silent → Full: evict
// nothing. 10 nodes, 6 silent → 6 > 2 and 6/10 = 60 % ≥ 55 % → Partial, and 10 ≤ 50 nodes → rate 0.
import type { Clock } from "@mk/proto/informer";

export type DisruptionMode = "Normal" | "PartialDisruption" | "FullDisruption";

export interface RateSettings {
  /** Nodes per second whose pods start being evicted, normally (Kubernetes' --node-eviction-rate 0.1). */
  evictionRate: number;
  /** The same in partial disruption of a large cluster (--secondary-node-eviction-rate 0.01). */
  secondaryEvictionRate: number;
  /** Above this many nodes a cluster is large (--large-cluster-size-threshold 50). */
  largeClusterThreshold: number;
  /** Fraction of nodes not Ready from which the cluster is partially disrupted (--unhealthy-zone-threshold 0.55). */
  unhealthyThreshold: number;
}

export const DEFAULT_RATES: RateSettings = { evictionRate: 0.1, secondaryEvictionRate: 0.01, largeClusterThreshold: 50, unhealthyThreshold: 0.55 };

/** Kubernetes' ComputeZoneState. */
export function disruptionMode(ready: number, notReady: number, unhealthyThreshold = DEFAULT_RATES.unhealthyThreshold): DisruptionMode {
  if (ready === 0 && notReady > 0) return "FullDisruption";
  if (notReady > 2 && notReady / (ready + notReady) >= unhealthyThreshold) return "PartialDisruption";
  return "Normal";
}

/** Nodes per second whose pods may start being evicted in this mode. */
export function evictionRate(mode: DisruptionMode, nodes: number, r: RateSettings = DEFAULT_RATES): number {
  switch (mode) {
    case "FullDisruption":
      return 0;
    case "PartialDisruption":
      return nodes > r.largeClusterThreshold ? r.secondaryEvictionRate : 0;
    case "Normal":
      return r.evictionRate;
  }
}

/**
 * Admits nodes to eviction at a rate, as Kubernetes' token bucket with a burst of 1: the first node
 * at once, then one every 1/qps seconds (10 s at 0.1). An admitted node stays admitted — all its due
 * pods go, now and later — until released (it became healthy, or was deleted).
 */
export class NodeEvictionLimiter {
  private readonly clock: Clock;
  private readonly admitted = new Set<string>();
  private qps: number;
  private tokens = 1;
  private last: number;

  constructor(clock: Clock, qps: number) {
    this.clock = clock;
    this.qps = qps;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(1, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
  }

  setRate(qps: number): void {
    this.refill();
    this.qps = qps;
  }

  get rate(): number {
    return this.qps;
  }

  isAdmitted(node: string): boolean {
    return this.admitted.has(node);
  }

  /** Admits the node if it is already, or a token is there; false: try again in retryAfterMs(). */
  tryAdmit(node: string): boolean {
    if (this.admitted.has(node)) return true;
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    this.admitted.add(node);
    return true;
  }

  /** When the next token is due (Infinity at rate 0: the disruption mode must change first). */
  retryAfterMs(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    if (this.qps <= 0) return Number.POSITIVE_INFINITY;
    return Math.ceil(((1 - this.tokens) * 1000) / this.qps);
  }

  release(node: string): void {
    this.admitted.delete(node);
  }
}
