// The scheduling queue, as kube-scheduler's PriorityQueue, in three parts:
//
//   active        pods ready to be tried: highest priority first, then the oldest.
//   backoff       pods that failed recently, waiting out 1 s, 2 s, 4 s, 8 s, then 10 s per attempt.
//   unschedulable pods that fit nowhere: they wait for something that could change that — a node
//                 added or changed, a pod deleted or finished — or for 5 minutes, then go back to
//                 active (or to backoff, when their backoff has not yet run out).
//
// A pod fails while the cluster keeps changing: if a move event arrived after the pod was popped
// (moveRequestCycle ≥ the pod's cycle), the pod goes to backoff, not to unschedulable, or it would
// sleep through the very change that makes it fit.
import type { Pod } from "@mk/proto";
import { type Clock, type DeepReadonly, objectKey, realClock } from "@mk/proto/informer";
import { type PodInfo, podInfoOf } from "../framework/pod-info.js";
import { Heap } from "./heap.js";

export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When the pod first entered the queue (clock ms): "age" in the active order. */
  readonly firstSeen: number;
  /** Scheduling attempts so far. */
  attempts: number;
  /** When the last attempt failed (clock ms). */
  lastFailure: number;
  /** When it entered the unschedulable set (clock ms). */
  unschedulableSince: number;
}

export interface SchedulingQueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A pod in the unschedulable set is tried again after this long, event or not. */
  unschedulableTimeoutMs?: number;
  /** How often the unschedulable set is checked for that timeout. */
  unschedulableFlushMs?: number;
}

type Where = "active" | "backoff" | "unschedulable" | "inFlight";

interface Entry {
  qpi: QueuedPodInfo;
  where: Where;
  /** Deleted (or bound elsewhere) while in flight: drop it when the attempt ends. */
  gone: boolean;
}

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly unschedulableTimeoutMs: number;
  private readonly unschedulableFlushMs: number;
  private readonly entries = new Map<string, Entry>();
  private readonly active = new Heap<QueuedPodInfo>(activeLess);
  private readonly backoff = new Heap<QueuedPodInfo>((a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private waiters: Array<() => void> = [];
  private cancelBackoffTimer: (() => void) | undefined;
  private backoffTimerAt = Number.POSITIVE_INFINITY;
  private cancelFlushTimer: (() => void) | undefined;
  private closed = false;
  /** Bumped by every pop: the attempt's number. */
  private schedulingCycle = 0;
  /** The cycle at the last move event. */
  private moveRequestCycle = -1;

  constructor(opts: SchedulingQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.unschedulableTimeoutMs = opts.unschedulableTimeoutMs ?? 300_000;
    this.unschedulableFlushMs = opts.unschedulableFlushMs ?? 30_000;
    this.scheduleFlush();
  }

  /** Sizes, for metrics and tests. */
  get stats(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    let inFlight = 0;
    for (const e of this.entries.values()) if (e.where === "inFlight") inFlight++;
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight };
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** A new pending pod. An already known pod is updated instead. */
  add(pod: DeepReadonly<Pod>): void {
    const key = objectKey(pod);
    if (this.entries.has(key)) {
      this.update(pod);
      return;
    }
    const now = this.clock.now();
    const qpi: QueuedPodInfo = { podInfo: podInfoOf(pod), firstSeen: now, attempts: 0, lastFailure: 0, unschedulableSince: 0 };
    this.entries.set(key, { qpi, where: "active", gone: false });
    this.active.push(key, qpi);
    this.wake();
  }

  /**
   * The pod changed. Keep its place, with the new object; an unschedulable pod whose spec changed
   * may fit now (a toleration added, a request lowered): try it again.
   */
  update(pod: DeepReadonly<Pod>): void {
    const key = objectKey(pod);
    const e = this.entries.get(key);
    if (!e) {
      this.add(pod);
      return;
    }
    const old = e.qpi.podInfo.pod;
    e.qpi.podInfo = podInfoOf(pod);
    switch (e.where) {
      case "active":
        this.active.push(key, e.qpi);
        break;
      case "backoff":
        this.backoff.push(key, e.qpi);
        break;
      case "unschedulable":
        if (JSON.stringify(old.spec) !== JSON.stringify(pod.spec)) this.moveOne(key, e);
        break;
      case "inFlight":
        break;
    }
  }

  /** The pod was deleted, or was bound (it is no longer the queue's concern). */
  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    if (e.where === "inFlight") {
      e.gone = true;
      return;
    }
    this.removeFrom(key, e.where);
    this.entries.delete(key);
  }

  /** The next pod to try; waits for one. undefined when the signal aborts or the queue closes. */
  async pop(signal?: AbortSignal): Promise<QueuedPodInfo | undefined> {
    for (;;) {
      if (this.closed || signal?.aborted) return undefined;
      const qpi = this.active.pop();
      if (qpi) {
        const e = this.entries.get(qpi.podInfo.key)!;
        e.where = "inFlight";
        qpi.attempts++;
        this.schedulingCycle++;
        return qpi;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal?.addEventListener("abort", onAbort, { once: true });
        this.waiters.push(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
  }

  /** The cycle number of the attempt that the last pop started. */
  get cycle(): number {
    return this.schedulingCycle;
  }

  /** The attempt ended with the pod bound (or assumed and binding): forget it. */
  done(key: string): void {
    const e = this.entries.get(key);
    if (e?.where === "inFlight") this.entries.delete(key);
  }

  /**
   * The attempt found no node. It goes to the unschedulable set, or to backoff when something moved
   * while it was being tried (podCycle: the queue's cycle when it was popped).
   */
  addUnschedulable(qpi: QueuedPodInfo, podCycle: number): void {
    const key = qpi.podInfo.key;
    const e = this.entries.get(key);
    if (e?.where !== "inFlight") return;
    if (e.gone) {
      this.entries.delete(key);
      return;
    }
    const now = this.clock.now();
    qpi.lastFailure = now;
    if (this.moveRequestCycle >= podCycle) {
      this.toBackoff(key, e);
      return;
    }
    qpi.unschedulableSince = now;
    e.where = "unschedulable";
    this.unschedulable.set(key, qpi);
  }

  /** The attempt failed for another reason (bind error, API unavailable): retry after backoff. */
  requeueWithBackoff(qpi: QueuedPodInfo): void {
    const key = qpi.podInfo.key;
    const e = this.entries.get(key);
    if (e?.where !== "inFlight") return;
    if (e.gone) {
      this.entries.delete(key);
      return;
    }
    qpi.lastFailure = this.clock.now();
    this.toBackoff(key, e);
  }

  /**
   * Something changed that may let unschedulable pods fit (node added or changed, pod deleted or
   * finished): every one of them is tried again, at once or after its backoff.
   */
  moveAllToActiveOrBackoff(): void {
    this.moveRequestCycle = this.schedulingCycle;
    for (const key of [...this.unschedulable.keys()].sort()) {
      const e = this.entries.get(key);
      if (e) this.moveOne(key, e);
    }
  }

  /** Backoff for the pod's attempts so far: 1 s, 2 s, 4 s, 8 s, 10 s, 10 s … */
  backoffDuration(qpi: QueuedPodInfo): number {
    const exp = Math.max(0, qpi.attempts - 1);
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(exp, 30));
  }

  close(): void {
    this.closed = true;
    this.cancelBackoffTimer?.();
    this.cancelFlushTimer?.();
    this.wake();
  }

  private backoffExpiry(qpi: QueuedPodInfo): number {
    return qpi.lastFailure + this.backoffDuration(qpi);
  }

  private moveOne(key: string, e: Entry): void {
    this.unschedulable.delete(key);
    if (this.backoffExpiry(e.qpi) > this.clock.now()) {
      this.toBackoff(key, e);
    } else {
      e.where = "active";
      this.active.push(key, e.qpi);
      this.wake();
    }
  }

  private toBackoff(key: string, e: Entry): void {
    e.where = "backoff";
    this.backoff.push(key, e.qpi);
    this.armBackoffTimer();
  }

  private removeFrom(key: string, where: Where): void {
    if (where === "active") this.active.delete(key);
    else if (where === "backoff") this.backoff.delete(key);
    else if (where === "unschedulable") this.unschedulable.delete(key);
  }

  /** One timer, for the earliest backoff expiry. */
  private armBackoffTimer(): void {
    const next = this.backoff.peek();
    if (!next || this.closed) return;
    const at = this.backoffExpiry(next);
    if (at >= this.backoffTimerAt) return;
    this.cancelBackoffTimer?.();
    this.backoffTimerAt = at;
    this.cancelBackoffTimer = this.clock.setTimer(() => this.flushBackoff(), Math.max(0, at - this.clock.now()));
  }

  private flushBackoff(): void {
    this.backoffTimerAt = Number.POSITIVE_INFINITY;
    this.cancelBackoffTimer = undefined;
    const now = this.clock.now();
    for (let next = this.backoff.peek(); next && this.backoffExpiry(next) <= now; next = this.backoff.peek()) {
      this.backoff.pop();
      const key = next.podInfo.key;
      const e = this.entries.get(key);
      if (!e) continue;
      e.where = "active";
      this.active.push(key, next);
    }
    this.wake();
    this.armBackoffTimer();
  }

  private scheduleFlush(): void {
    if (this.closed) return;
    this.cancelFlushTimer = this.clock.setTimer(() => {
      this.flushUnschedulable();
      this.scheduleFlush();
    }, this.unschedulableFlushMs);
  }

  /** Pods unschedulable for longer than the timeout go back to be tried, event or not. */
  private flushUnschedulable(): void {
    const now = this.clock.now();
    for (const [key, qpi] of [...this.unschedulable].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (now - qpi.unschedulableSince < this.unschedulableTimeoutMs) continue;
      const e = this.entries.get(key);
      if (e) this.moveOne(key, e);
    }
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}

/** Higher priority first; then the pod that has waited longest; then by key, for a stable order. */
function activeLess(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
  if (a.podInfo.priority !== b.podInfo.priority) return a.podInfo.priority > b.podInfo.priority;
  if (a.firstSeen !== b.firstSeen) return a.firstSeen < b.firstSeen;
  return a.podInfo.key < b.podInfo.key;
}
