// The node lifecycle controller (Kubernetes' node_lifecycle_controller.go and its taint manager, in
// one small file each for the arithmetic: health.ts, taints.ts, eviction.ts, disruption.ts). Keys
// are node names. sync(node) reads the caches and, level-triggered:
//
//   deleted?                        → forget it
//   silent > grace (health.ts)?     → every condition Unknown ("Kubelet stopped posting node status.")
//   Ready Unknown / False / True    → taint unreachable / not-ready NoExecute / neither
//   NoExecute taints?               → evict the pods whose (effective) toleration ran out (eviction.ts),
//                                     at a rate, and not at all when every node is down (disruption.ts)
//   then                            → look again when the node would turn stale or the next pod falls due
//
// A monitor pass every --node-monitor-period recomputes the disruption mode and enqueues every node,
// as a safety net under the precise per-node timers.
import type { Lease, Node, ObjectMeta, Pod, PodCondition } from "@mk/proto";
import { type Clientset, ConflictError, type EventRecorder, isNotFound } from "@mk/proto/client";
import { type Clock, cloneCached, type DeepReadonly, type Informer, realClock, runController, WorkQueue } from "@mk/proto/informer";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics.js";
import type { RoPod } from "../types.js";
import { DEFAULT_RATES, type DisruptionMode, disruptionMode, evictionRate, NodeEvictionLimiter, type RateSettings } from "./disruption.js";
import { planEvictions, TaintClock } from "./eviction.js";
import { NodeHealth, type ReadyStatus, readyStatus, unknownConditions } from "./health.js";
import { type DefaultTolerations, isNoExecute, LIFECYCLE_TAINT_KEYS, reconcileLifecycleTaints, TAINT_NOT_READY, TAINT_UNREACHABLE } from "./taints.js";

const CONTROLLER = "nodelifecycle";
export const NODE_LEASE_NAMESPACE = "mk-node-lease";
const POD_NODE_INDEX = "nodelifecycle:spec.nodeName";

export const NODE_LIFECYCLE_DEFAULTS = {
  nodeMonitorGracePeriodMs: 40_000,
  nodeMonitorPeriodMs: 5_000,
  defaultUnreachableTolerationSeconds: 300,
  defaultNotReadyTolerationSeconds: 300,
};

export interface NodeLifecycleControllerOptions {
  client: Clientset;
  nodeInformer: Informer<Node>;
  /** Leases; only those in mk-node-lease are heartbeats (pass an informer narrowed to it). */
  leaseInformer: Informer<Lease>;
  podInformer: Informer<Pod>;
  recorder?: EventRecorder | undefined;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
  /** Monotonic time for health and tolerations (tests: ManualClock). */
  clock?: Clock;
  /** Wall time for the timestamps written into objects. */
  now?: () => Date;
  nodeMonitorGracePeriodMs?: number;
  nodeMonitorPeriodMs?: number;
  defaultUnreachableTolerationSeconds?: number;
  defaultNotReadyTolerationSeconds?: number;
  rates?: Partial<RateSettings>;
  /** Retries of one node before it is dropped with a Warning event (default 15; the monitor pass brings it back). */
  maxRetries?: number | undefined;
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, "Z");

function subject(obj: { readonly apiVersion: string; readonly kind: string; readonly metadata?: unknown }): { apiVersion: string; kind: string; metadata: ObjectMeta | undefined } {
  return { apiVersion: obj.apiVersion || "v1", kind: obj.kind, metadata: obj.metadata as ObjectMeta | undefined };
}

export class NodeLifecycleController {
  readonly queue: WorkQueue;
  readonly health: NodeHealth;
  private readonly o: NodeLifecycleControllerOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly now: () => Date;
  private readonly monitorPeriodMs: number;
  private readonly defaults: DefaultTolerations;
  private readonly rates: RateSettings;
  private readonly taintClock: TaintClock;
  private readonly limiter: NodeEvictionLimiter;
  private mode: DisruptionMode = "Normal";
  /** Monotonic ms when the last full disruption ended: tolerations count from no earlier. */
  private disruptionEndedAt = Number.NEGATIVE_INFINITY;

  constructor(o: NodeLifecycleControllerOptions) {
    this.o = o;
    this.log = o.logger.child({ controller: CONTROLLER });
    this.clock = o.clock ?? realClock;
    this.now = o.now ?? (() => new Date());
    this.queue = new WorkQueue({ name: CONTROLLER, clock: this.clock });
    this.health = new NodeHealth(this.clock, o.nodeMonitorGracePeriodMs ?? NODE_LIFECYCLE_DEFAULTS.nodeMonitorGracePeriodMs);
    this.monitorPeriodMs = o.nodeMonitorPeriodMs ?? NODE_LIFECYCLE_DEFAULTS.nodeMonitorPeriodMs;
    this.defaults = {
      unreachableSeconds: o.defaultUnreachableTolerationSeconds ?? NODE_LIFECYCLE_DEFAULTS.defaultUnreachableTolerationSeconds,
      notReadySeconds: o.defaultNotReadyTolerationSeconds ?? NODE_LIFECYCLE_DEFAULTS.defaultNotReadyTolerationSeconds,
    };
    this.rates = { ...DEFAULT_RATES, ...o.rates };
    this.taintClock = new TaintClock(this.clock);
    this.limiter = new NodeEvictionLimiter(this.clock, this.rates.evictionRate);
    o.podInformer.store.addIndexer(POD_NODE_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));

    o.nodeInformer.addEventHandler({
      add: (n) => this.nodeSeen(n.metadata?.name ?? ""),
      update: (_old, n) => this.nodeSeen(n.metadata?.name ?? ""),
      delete: (n) => this.queue.add(n.metadata?.name ?? ""),
    });
    // Recording when a Lease changed is the one thing a handler does besides enqueueing: the time of
    // arrival IS the observation, and reading it later (in a sync) would make it up to a sync late.
    const leaseSeen = (l: DeepReadonly<Lease>) => {
      if (l.metadata?.namespace !== NODE_LEASE_NAMESPACE) return;
      const name = l.metadata.name;
      if (this.health.observeLease(name, l.spec?.renewTime ?? "") && this.needsAttention(name)) this.queue.add(name);
    };
    o.leaseInformer.addEventHandler({ add: leaseSeen, update: (_old, l) => leaseSeen(l) });
    const podSeen = (p: RoPod) => {
      const node = p.spec?.nodeName;
      if (node && this.needsAttention(node)) this.queue.add(node);
    };
    o.podInformer.addEventHandler({ add: podSeen, update: (_old, p) => podSeen(p) });
  }

  private nodeSeen(name: string): void {
    this.health.observeNode(name);
    this.queue.add(name);
  }

  /** A node not plainly healthy in the cache: a heartbeat or a new pod there may change what to do. */
  private needsAttention(name: string): boolean {
    const n = this.o.nodeInformer.store.get(name);
    if (!n) return false;
    return readyStatus(n.status?.conditions) !== "True" || (n.spec?.taints ?? []).some(isNoExecute);
  }

  /** Waits for the caches, then runs the monitor pass and `workers` sync loops until the signal aborts. */
  run(workers: number, signal: AbortSignal): Promise<void> {
    const { nodeInformer, leaseInformer, podInformer, recorder, metrics, maxRetries } = this.o;
    const details = { gracePeriodMs: this.health.gracePeriodMs, monitorPeriodMs: this.monitorPeriodMs, defaultTolerations: this.defaults };
    const sync = (key: string) => this.sync(key);
    const objectFor = (key: string) => nodeInformer.store.get(key);
    return runController(
      { name: CONTROLLER, queue: this.queue, informers: [nodeInformer, leaseInformer, podInformer], workers, sync, objectFor, recorder, metrics, maxRetries, logger: this.log, details, afterSync: (s) => this.monitor(s) },
      signal,
    );
  }

  /** Every monitor period: the disruption mode, and every node looked at again. */
  private async monitor(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.refreshMode();
      for (const name of this.o.nodeInformer.store.keys()) this.queue.add(name);
      try {
        await this.clock.sleep(this.monitorPeriodMs, signal);
      } catch {
        return; // aborted: stopping
      }
    }
  }

  /** Counts Ready nodes (fresh heartbeat and Ready=True) against the rest; logs and applies a mode change. */
  refreshMode(): DisruptionMode {
    let ready = 0;
    let notReady = 0;
    for (const n of this.o.nodeInformer.store.list()) {
      const name = n.metadata?.name ?? "";
      if (!this.health.isStale(name) && readyStatus(n.status?.conditions) === "True") ready++;
      else notReady++;
    }
    const mode = disruptionMode(ready, notReady, this.rates.unhealthyThreshold);
    if (mode !== this.mode) {
      const fields = { from: this.mode, to: mode, ready, notReady };
      if (mode === "FullDisruption") this.log.warn(fields, "no node is ready: full disruption mode, evictions stopped");
      else if (mode === "PartialDisruption") this.log.warn(fields, "most nodes not ready: partial disruption mode, evictions slowed");
      else this.log.info(fields, "disruption over: evictions at the normal rate");
      if (this.mode === "FullDisruption") {
        // Every pod's toleration starts over from here (eviction.ts).
        this.disruptionEndedAt = this.clock.now();
        for (const name of this.o.nodeInformer.store.keys()) this.queue.add(name);
      }
      this.mode = mode;
    }
    this.limiter.setRate(evictionRate(mode, ready + notReady, this.rates));
    return mode;
  }

  /** Idempotent: brings one node's conditions and taints in line with its health, evicts what is due. */
  async sync(name: string): Promise<void> {
    const cached = this.o.nodeInformer.store.get(name);
    if (!cached) {
      this.health.forget(name);
      this.taintClock.forget(name);
      this.limiter.release(name);
      return;
    }
    this.health.observeNode(name);
    let node: DeepReadonly<Node> = cached;
    let ready = readyStatus(node.status?.conditions);
    if (this.health.isStale(name)) {
      node = (await this.markUnknown(node)) ?? node;
      ready = readyStatus(node.status?.conditions);
    }
    const prev = this.health.recordReady(name, ready);
    if (prev === "True" && ready !== "True") {
      this.log.warn({ node: name, ready, silentMs: Math.round(this.health.silentForMs(name)) }, "node not ready");
      this.o.recorder?.event("Node", subject(node), "Normal", "NodeNotReady", `Node ${name} status is now: NodeNotReady`);
    } else if (prev !== undefined && prev !== "True" && ready === "True") {
      this.log.info({ node: name }, "node ready again");
    }
    node = (await this.reconcileTaints(node, desiredTaint(ready))) ?? node;
    // Pods of an unreachable node: nobody else will say they are not ready. (A kubelet posting
    // Ready=False is alive and reports its pods itself.) After the taint, so a failing pod write
    // never holds the taint back.
    if (ready === "Unknown") await this.markPodsNotReady(name);
    await this.evict(node);
    if (!this.health.isStale(name)) this.queue.addAfter(name, this.health.msUntilStale(name) + 1);
  }

  /** Writes every condition Unknown; undefined when nothing changed (already Unknown, or a heartbeat came meanwhile). */
  private async markUnknown(cached: DeepReadonly<Node>): Promise<DeepReadonly<Node> | undefined> {
    const name = cached.metadata?.name ?? "";
    const written = await this.writeNode(cached, "status", (n) => {
      // A retry after a conflict may find the kubelet back: its fresh post must not be overwritten.
      if (!this.health.isStale(name)) return false;
      const conds = unknownConditions(n.status?.conditions ?? [], rfc3339(this.now()));
      if (!conds || !n.status) return false;
      n.status.conditions = conds;
      return true;
    });
    if (written) {
      this.log.warn({ node: name, silentMs: Math.round(this.health.silentForMs(name)), gracePeriodMs: this.health.gracePeriodMs }, "node stopped posting status: conditions Unknown");
    }
    return written;
  }

  private async reconcileTaints(cached: DeepReadonly<Node>, want: string | undefined): Promise<DeepReadonly<Node> | undefined> {
    const written = await this.writeNode(cached, "spec", (n) => {
      if (!n.spec) return false;
      const next = reconcileLifecycleTaints(n.spec.taints, want, rfc3339(this.now()));
      if (!next) return false;
      n.spec.taints = next;
      return true;
    });
    if (written) this.log.info({ node: cached.metadata?.name, taint: want ? `${want}:NoExecute` : "none" }, "node lifecycle taints updated");
    return written;
  }

  /**
   * Changes a node through `mutate` (false: nothing to write) and writes spec or status. Tries the
   * cached copy first; on a conflict (the kubelet posts status too) reads the current one and retries.
   * Returns the written node, or undefined when nothing was written.
   */
  private async writeNode(cached: DeepReadonly<Node>, part: "spec" | "status", mutate: (n: Node) => boolean): Promise<Node | undefined> {
    let n = cloneCached("Node", cached);
    for (let attempt = 0; ; attempt++) {
      if (!mutate(n)) return undefined;
      try {
        return part === "status" ? await this.o.client.nodes.updateStatus(n) : await this.o.client.nodes.update(n);
      } catch (err) {
        if (isNotFound(err)) return undefined; // deleted meanwhile: the delete event forgets it
        if (!(err instanceof ConflictError) || attempt >= 5) throw err;
      }
      try {
        n = await this.o.client.nodes.get(cached.metadata?.name ?? "");
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }
  }

  private async markPodsNotReady(node: string): Promise<void> {
    for (const p of this.o.podInformer.store.byIndex(POD_NODE_INDEX, node)) {
      if (p.metadata?.deletionTimestamp) continue;
      if (!p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True")) continue;
      const pod = cloneCached("Pod", p);
      const t = rfc3339(this.now());
      if (pod.status) pod.status.conditions = pod.status.conditions.map((c): PodCondition => (c.type === "Ready" ? { ...c, status: "False", lastTransitionTime: t } : c));
      try {
        await this.o.client.pods.updateStatus(pod);
      } catch (err) {
        // Gone, or changed meanwhile: the pod's update event brings this node back to the queue.
        if (isNotFound(err) || err instanceof ConflictError) continue;
        throw err;
      }
      this.o.recorder?.event("Pod", subject(p), "Warning", "NodeNotReady", "Node is not ready");
    }
  }

  /** Deletes the pods whose toleration of the node's NoExecute taints ran out; requeues for the next. */
  private async evict(node: DeepReadonly<Node>): Promise<void> {
    const name = node.metadata?.name ?? "";
    const noExecute = (node.spec?.taints ?? []).filter(isNoExecute);
    if (noExecute.length === 0) {
      this.taintClock.forget(name);
      this.limiter.release(name);
      return;
    }
    const taints = this.taintClock.observe(name, noExecute, this.disruptionEndedAt);
    const now = this.clock.now();
    const pods = this.o.podInformer.store.byIndex(POD_NODE_INDEX, name);
    const plan = planEvictions(pods, taints, this.defaults, now);
    if (plan.nextAt !== undefined) this.queue.addAfter(name, plan.nextAt - now + 1);
    if (plan.due.length === 0) return;

    // The rate and the disruption mode guard the controller's own taints; a NoExecute taint a person
    // put on a node is a request to evict, carried out as asked.
    if (noExecute.some((t) => LIFECYCLE_TAINT_KEYS.includes(t.key))) {
      const mode = this.refreshMode();
      if (mode === "FullDisruption") {
        this.log.debug({ node: name, due: plan.due.length }, "full disruption: not evicting");
        this.queue.addAfter(name, this.monitorPeriodMs);
        return;
      }
      if (!this.limiter.tryAdmit(name)) {
        const wait = this.limiter.retryAfterMs();
        this.log.info({ node: name, due: plan.due.length, mode, rate: this.limiter.rate, retryMs: Number.isFinite(wait) ? wait : null }, "eviction rate-limited");
        this.queue.addAfter(name, Number.isFinite(wait) ? Math.max(wait, 1) : this.monitorPeriodMs);
        return;
      }
    }
    let firstError: unknown;
    for (const p of plan.due) {
      try {
        await this.deletePod(p);
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError) throw firstError;
  }

  private async deletePod(p: RoPod): Promise<void> {
    const ns = p.metadata?.namespace ?? "";
    const podName = p.metadata?.name ?? "";
    this.o.recorder?.event("Pod", subject(p), "Normal", "TaintManagerEviction", `Marking for deletion Pod ${ns}/${podName}`);
    this.log.info({ pod: `${ns}/${podName}`, node: p.spec?.nodeName }, "evicting pod");
    try {
      // A normal, graceful delete: a live kubelet finishes it; a dead one never does, and the
      // ReplicaSet replaces the pod anyway since terminating pods do not count as active.
      await this.o.client.pods.delete(podName, ns, { preconditions: { uid: p.metadata?.uid ?? "" } });
    } catch (err) {
      // Already gone, or a different pod by that name now (uid precondition): nothing to evict.
      if (isNotFound(err) || err instanceof ConflictError) return;
      throw err;
    }
  }
}

/** The lifecycle taint a node with this Ready status should carry. */
export function desiredTaint(ready: ReadyStatus): string | undefined {
  if (ready === "Unknown") return TAINT_UNREACHABLE;
  if (ready === "False") return TAINT_NOT_READY;
  return undefined;
}
