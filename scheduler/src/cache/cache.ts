// The scheduler's view of the cluster: every node with the pods on it, bound or assumed.
//
// A pod is "assumed" on its node the moment the pipeline picks the node, before the Bind call
// returns, so the very next pod already sees the cpu, memory and ports it takes. The informer later
// confirms the binding (the pod arrives with spec.nodeName set); a failed Bind forgets the pod; an
// assumed pod never confirmed within the TTL after its Bind returned is dropped (its pod was deleted
// in between, and the delete event came first).
import type { Node, Pod } from "@mk/proto";
import { type Clock, type DeepReadonly, objectKey, realClock } from "@mk/proto/informer";
import { NodeInfo, type NodeView } from "../framework/node-info.js";
import { type PodInfo, podInfoOf } from "../framework/pod-info.js";

interface PodState {
  podInfo: PodInfo;
  nodeName: string;
  assumed: boolean;
  /** Clock ms after which an assumed pod whose Bind returned is dropped; Infinity while binding. */
  deadline: number;
}

export interface CacheOptions {
  clock?: Clock;
  /** How long a bound-but-unconfirmed assumed pod is kept. Default 15 min, as kube-scheduler. */
  assumedTtlMs?: number;
}

/** Succeeded or Failed: the pod uses nothing any more. */
export function isTerminal(pod: DeepReadonly<Pod>): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

export class SchedulerCache {
  private readonly clock: Clock;
  private readonly assumedTtlMs: number;
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  /** Nodes that exist, by name: rebuilt only when a node comes or goes. */
  private sorted: NodeInfo[] | undefined;

  constructor(opts: CacheOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.assumedTtlMs = opts.assumedTtlMs ?? 15 * 60_000;
  }

  /** The nodes the pipeline chooses from, in a stable order (by name). */
  nodeList(): readonly NodeView[] {
    if (!this.sorted) {
      this.sorted = [...this.nodes.values()].filter((n) => n.node !== undefined).sort((a, b) => (a.name < b.name ? -1 : 1));
    }
    return this.sorted;
  }

  node(name: string): NodeView | undefined {
    return this.nodes.get(name);
  }

  get podCount(): number {
    return this.pods.size;
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed ?? false;
  }

  nodeOf(key: string): string | undefined {
    return this.pods.get(key)?.nodeName;
  }

  // ---- nodes (from the node informer)

  setNode(node: DeepReadonly<Node>): void {
    const name = node.metadata?.name ?? "";
    let ni = this.nodes.get(name);
    if (!ni) {
      ni = new NodeInfo(name);
      this.nodes.set(name, ni);
    }
    if (!ni.node) this.sorted = undefined;
    ni.setNode(node);
  }

  removeNode(name: string): void {
    const ni = this.nodes.get(name);
    if (!ni) return;
    // Pods still pointing at it keep a nameless NodeInfo until they go, so their accounting stays exact.
    if (ni.podCount === 0) this.nodes.delete(name);
    else ni.clearNode();
    this.sorted = undefined;
  }

  // ---- pods (assigned pods from the pod informer, and the scheduler's own assumptions)

  /** Places the pod on the node at once, ahead of its Bind. */
  assume(podInfo: PodInfo, nodeName: string): void {
    this.removePod(podInfo.key);
    this.place(podInfo.key, { podInfo, nodeName, assumed: true, deadline: Number.POSITIVE_INFINITY });
  }

  /** Bind returned: start the clock for the informer's confirmation. */
  finishBinding(key: string): void {
    const s = this.pods.get(key);
    if (s?.assumed) s.deadline = this.clock.now() + this.assumedTtlMs;
  }

  /** Bind failed: undo the assumption. */
  forget(key: string): void {
    if (this.pods.get(key)?.assumed) this.removePod(key);
  }

  /** A pod with spec.nodeName from the informer (added or updated): confirms an assumption. */
  setAssignedPod(pod: DeepReadonly<Pod>): void {
    const key = objectKey(pod);
    if (isTerminal(pod)) {
      this.removePod(key);
      return;
    }
    const nodeName = pod.spec?.nodeName ?? "";
    const cur = this.pods.get(key);
    const podInfo = podInfoOf(pod);
    if (cur && cur.nodeName === nodeName && sameUsage(cur.podInfo, podInfo)) {
      cur.assumed = false;
      cur.deadline = Number.POSITIVE_INFINITY;
      cur.podInfo = podInfo;
      return;
    }
    this.removePod(key);
    this.place(key, { podInfo, nodeName, assumed: false, deadline: Number.POSITIVE_INFINITY });
  }

  removePod(key: string): boolean {
    const s = this.pods.get(key);
    if (!s) return false;
    this.pods.delete(key);
    const ni = this.nodes.get(s.nodeName);
    if (ni) {
      ni.removePod(key);
      if (!ni.node && ni.podCount === 0) this.nodes.delete(s.nodeName);
    }
    return true;
  }

  /** Drops assumed pods whose confirmation never came; returns their keys. */
  cleanupExpired(): string[] {
    const now = this.clock.now();
    const expired: string[] = [];
    for (const [key, s] of this.pods) {
      if (s.assumed && s.deadline <= now) expired.push(key);
    }
    for (const key of expired) this.removePod(key);
    return expired;
  }

  private place(key: string, s: PodState): void {
    this.pods.set(key, s);
    let ni = this.nodes.get(s.nodeName);
    if (!ni) {
      // A pod on a node not seen yet (informers race): account for it now, the node follows.
      ni = new NodeInfo(s.nodeName);
      this.nodes.set(s.nodeName, ni);
    }
    ni.addPod(s.podInfo);
  }
}

function sameUsage(a: PodInfo, b: PodInfo): boolean {
  return (
    a.requests.cpu === b.requests.cpu &&
    a.requests.memory === b.requests.memory &&
    a.hostPorts.length === b.hostPorts.length &&
    a.ownerUid === b.ownerUid
  );
}
