// Which pods of a NoExecute-tainted node to evict now, and when to look again (Kubernetes' taint
// manager). A pod's time on such a node starts when this controller saw the taint — its own
// monotonic clock again, never the taint's timeAdded (written by whichever clock wrote it) — or when
// a full disruption ended, whichever is later: after a cluster-wide outage every node gets its whole
// toleration again instead of losing its pods the moment one node comes back.
//
// Worked example, lab settings (toleration 10 s by default): the unreachable taint is seen at
// t = 9.05 s. A pod with no toleration of its own tolerates it 10 s: due at 19.05 s. A pod with
// `unreachable Exists NoExecute tolerationSeconds 30` is due at 39.05 s; one without
// tolerationSeconds never; one that tolerates nothing NoExecute (a user taint `dedicated:NoExecute`
// beside) is due at once.
import type { Clock } from "@mk/proto/informer";
import type { RoPod } from "../types.js";
import { type DefaultTolerations, effectiveTolerations, type RoTaint, taintId, toleratedSeconds } from "./taints.js";

export interface TaintSince {
  taint: RoTaint;
  /** Monotonic ms from which pods' tolerations count down. */
  since: number;
}

/** When this controller first saw each NoExecute taint of each node. */
export class TaintClock {
  private readonly seen = new Map<string, Map<string, number>>();
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /**
   * Records the node's NoExecute taints as seen now (those seen before keep their time; those gone are
   * dropped) and returns each with the time its countdown starts: not before `notBefore`.
   */
  observe(node: string, taints: readonly RoTaint[], notBefore: number): TaintSince[] {
    const prev = this.seen.get(node) ?? new Map<string, number>();
    const next = new Map<string, number>();
    const now = this.clock.now();
    const out: TaintSince[] = [];
    for (const t of taints) {
      const id = taintId(t);
      const at = next.get(id) ?? prev.get(id) ?? now;
      next.set(id, at);
      out.push({ taint: t, since: Math.max(at, notBefore) });
    }
    this.seen.set(node, next);
    return out;
  }

  forget(node: string): void {
    this.seen.delete(node);
  }
}

export interface EvictionPlan {
  /** Pods whose toleration has run out, in key order. */
  due: RoPod[];
  /** Monotonic ms when the next pod falls due (undefined: none will). */
  nextAt: number | undefined;
}

/** Monotonic ms when the pod must go (Infinity: never): the earliest over the taints of since + tolerated time. */
export function evictionTime(pod: RoPod, taints: readonly TaintSince[], defaults: DefaultTolerations): number {
  const tolerations = effectiveTolerations(pod.spec?.tolerations ?? [], defaults);
  let at = Number.POSITIVE_INFINITY;
  for (const { taint, since } of taints) at = Math.min(at, since + toleratedSeconds(tolerations, taint) * 1000);
  return at;
}

/** Splits the node's pods into due now and the time the next one is due. Terminating pods are skipped: their deletion is under way. */
export function planEvictions(pods: readonly RoPod[], taints: readonly TaintSince[], defaults: DefaultTolerations, now: number): EvictionPlan {
  const due: RoPod[] = [];
  let nextAt: number | undefined;
  if (taints.length === 0) return { due, nextAt };
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    const at = evictionTime(p, taints, defaults);
    if (at <= now) due.push(p);
    else if (Number.isFinite(at)) nextAt = nextAt === undefined ? at : Math.min(nextAt, at);
  }
  return { due, nextAt };
}
