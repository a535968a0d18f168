// Node health as this controller sees it. The heartbeat is the node's Lease in mk-node-lease, but
// the kubelet's timestamps in it are never compared with our clock: a kubelet whose clock runs 5
// minutes behind would look dead at once, one 5 minutes ahead would look alive 5 minutes too long.
// What counts is when THIS controller saw the Lease change, on its own monotonic clock (Kubernetes'
// probeTimestamp). A node never seen renewing counts from when the controller first saw it.
//
// Worked example, lab settings (renew 2 s, grace 10 s): renewals are seen at t = 0, 2, 4, 6; the
// kubelet is killed at t = 7. At t = 16 the node has been silent 16 − 6 = 10 s, not more than the
// grace period; at t = 16.05 it is 10.05 s > 10 s: stale, 9.05 s after the kill — inside the grace
// period even counted from the kill, because the last renewal came before it.
import type { NodeCondition } from "@mk/proto";
import type { Clock, DeepReadonly } from "@mk/proto/informer";

interface Seen {
  /** Monotonic ms when a heartbeat (a changed Lease) or the node itself was first seen. */
  probeAt: number;
  /** The Lease's renewTime when last seen: only "different from before" is read, never its value. */
  renewTime: string | undefined;
  /** Ready status as last judged by the controller (for the True → not True transition). */
  ready: ReadyStatus | undefined;
}

export type ReadyStatus = "True" | "False" | "Unknown" | "";

export function readyStatus(conditions: readonly DeepReadonly<NodeCondition>[] | undefined): ReadyStatus {
  const s = conditions?.find((c) => c.type === "Ready")?.status ?? "";
  return s === "True" || s === "False" || s === "Unknown" ? s : "";
}

export class NodeHealth {
  private readonly seen = new Map<string, Seen>();
  private readonly clock: Clock;
  readonly gracePeriodMs: number;

  constructor(clock: Clock, gracePeriodMs: number) {
    this.clock = clock;
    this.gracePeriodMs = gracePeriodMs;
  }

  private entry(node: string): Seen {
    let e = this.seen.get(node);
    if (!e) {
      e = { probeAt: this.clock.now(), renewTime: undefined, ready: undefined };
      this.seen.set(node, e);
    }
    return e;
  }

  /** The node exists: start counting its silence from now if it is new to us. */
  observeNode(node: string): void {
    this.entry(node);
  }

  /** A Lease as the informer delivers it; a renewTime different from the last one seen is a heartbeat. Returns true on a heartbeat. */
  observeLease(node: string, renewTime: string): boolean {
    const e = this.seen.get(node);
    if (!e) {
      // First sight: we cannot know when it was renewed, so count from now (never from renewTime).
      this.seen.set(node, { probeAt: this.clock.now(), renewTime, ready: undefined });
      return true;
    }
    if (e.renewTime === renewTime) return false;
    e.renewTime = renewTime;
    e.probeAt = this.clock.now();
    return true;
  }

  forget(node: string): void {
    this.seen.delete(node);
  }

  /** Milliseconds since the last heartbeat (or since first seen). */
  silentForMs(node: string): number {
    return this.clock.now() - this.entry(node).probeAt;
  }

  /** Silent for longer than the grace period. */
  isStale(node: string): boolean {
    return this.silentForMs(node) > this.gracePeriodMs;
  }

  /** Milliseconds until the node turns stale without a heartbeat (0 when it already is). */
  msUntilStale(node: string): number {
    return Math.max(0, this.gracePeriodMs - this.silentForMs(node));
  }

  /** Records the Ready status judged now; returns the previous judgement (undefined the first time). */
  recordReady(node: string, ready: ReadyStatus): ReadyStatus | undefined {
    const e = this.entry(node);
    const prev = e.ready;
    e.ready = ready;
    return prev;
  }
}

export const NODE_STATUS_UNKNOWN = "NodeStatusUnknown";
export const NODE_STATUS_UNKNOWN_MESSAGE = "Kubelet stopped posting node status.";
export const NODE_STATUS_NEVER_UPDATED = "NodeStatusNeverUpdated";
export const NODE_STATUS_NEVER_UPDATED_MESSAGE = "Kubelet never posted node status.";

/** The conditions a kubelet posts; a stale node gets each one as Unknown, posted or not. */
const STANDARD_CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

/**
 * The conditions of a stale node: every one Unknown ("Kubelet stopped posting node status."), the
 * standard ones never posted added as Unknown ("Kubelet never posted node status."). lastHeartbeatTime
 * stays the kubelet's; lastTransitionTime becomes now for those that change. undefined when all
 * already are Unknown, so the caller writes only on a change.
 */
export function unknownConditions(current: readonly DeepReadonly<NodeCondition>[], now: string): NodeCondition[] | undefined {
  let changed = false;
  const out: NodeCondition[] = current.map((c) => {
    if (c.status === "Unknown") return { ...c };
    changed = true;
    return { ...c, status: "Unknown", reason: NODE_STATUS_UNKNOWN, message: NODE_STATUS_UNKNOWN_MESSAGE, lastTransitionTime: now };
  });
  for (const type of STANDARD_CONDITIONS) {
    if (current.some((c) => c.type === type)) continue;
    changed = true;
    out.push({ type, status: "Unknown", reason: NODE_STATUS_NEVER_UPDATED, message: NODE_STATUS_NEVER_UPDATED_MESSAGE, lastHeartbeatTime: "", lastTransitionTime: now });
  }
  return changed ? out : undefined;
}
