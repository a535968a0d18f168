// Pod GC (Kubernetes' pkg/controller/podgc, its orphaned-pods part): a pod bound to a Node that no
// longer exists has no kubelet to finish it, so it is deleted here, forcibly (grace 0), and its
// ReplicaSet replaces it elsewhere. A node missing from the cache is first quarantined: a pod may
// name a node this cache has not seen yet (a node that just registered), so the node is looked up
// again after the quarantine, by a quorum read from the API, and only a NotFound there deletes.
//
// Work items are node names; the pods of one are found through a spec.nodeName index.
import type { Node, Pod } from "@mk/proto";
import { type Clientset, ConflictError, isNotFound } from "@mk/proto/client";
import { type Clock, type DeepReadonly, ensureIndexer, type Informer, objectKey, runController, WorkQueue } from "@mk/proto/informer";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics.js";

const CONTROLLER = "pod-garbage-collector";
const NODE_NAME_INDEX = "podgc:spec.nodeName";

/**
 * How long a node stays missing before its pods go. Kubernetes waits 40 s; mk's caches lag behind
 * the API by milliseconds on a LAN, and a pod stranded on a deleted node is a replica short for that
 * long, so a few seconds is the margin here.
 */
export const DEFAULT_QUARANTINE_MS = 5_000;

export interface PodGCControllerOptions {
  client: Clientset;
  podInformer: Informer<Pod>;
  nodeInformer: Informer<Node>;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
  quarantineMs?: number | undefined;
  clock?: Clock | undefined;
}

export class PodGCController {
  readonly queue: WorkQueue;
  private readonly o: PodGCControllerOptions;
  private readonly log: Logger;
  private readonly quarantineMs: number;

  constructor(o: PodGCControllerOptions) {
    this.o = o;
    this.log = o.logger.child({ controller: CONTROLLER });
    this.quarantineMs = o.quarantineMs ?? DEFAULT_QUARANTINE_MS;
    this.queue = new WorkQueue({ name: CONTROLLER, ...(o.clock ? { clock: o.clock } : {}) });
    ensureIndexer(o.podInformer.store, NODE_NAME_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
    o.podInformer.addEventHandler({ add: (p) => this.podSeen(p), update: (_old, p) => this.podSeen(p) });
    o.nodeInformer.addEventHandler({ delete: (n) => this.quarantine(n.metadata?.name ?? "") });
  }

  run(workers: number, signal: AbortSignal): Promise<void> {
    const { podInformer, nodeInformer, metrics } = this.o;
    // Nodes deleted while no pod GC ran: every pod is looked at once, now that both caches are filled.
    const afterSync = () => {
      for (const p of podInformer.store.list()) this.podSeen(p);
    };
    // Keys are names of nodes that are gone: no object to record a drop event on (the log and metric say it).
    const details = { quarantineMs: this.quarantineMs };
    return runController({ name: CONTROLLER, queue: this.queue, informers: [podInformer, nodeInformer], workers, sync: (node) => this.sync(node), afterSync, metrics, logger: this.log, details }, signal);
  }

  private podSeen(p: DeepReadonly<Pod>): void {
    const node = p.spec?.nodeName;
    // Until the node cache is filled every node looks missing; run() looks at every pod once it is.
    if (node && this.o.nodeInformer.hasSynced() && !this.o.nodeInformer.store.get(node)) this.quarantine(node);
  }

  /** The earliest request wins (addAfter): the quarantine counts from when the node was first missed. */
  private quarantine(node: string): void {
    if (node) this.queue.addAfter(node, this.quarantineMs);
  }

  async sync(node: string): Promise<void> {
    if (this.o.nodeInformer.store.get(node)) return;
    const pods = this.o.podInformer.store.byIndex(NODE_NAME_INDEX, node);
    if (pods.length === 0) return;
    try {
      await this.o.client.nodes.get(node);
      return; // it exists: the cache has not seen it yet
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    for (const p of pods) await this.forceDelete(p, node);
  }

  private async forceDelete(p: DeepReadonly<Pod>, node: string): Promise<void> {
    const m = p.metadata;
    if (!m) return;
    try {
      // No kubelet will finish a graceful deletion on a node that is gone: grace 0.
      await this.o.client.pods.delete(m.name, m.namespace, { gracePeriodSeconds: 0, preconditions: { uid: m.uid } });
      this.o.metrics?.podgcDeleted.inc();
      this.log.info({ pod: objectKey(p), node }, "deleted pod of a deleted node");
    } catch (err) {
      // NotFound: gone already. Conflict: the uid precondition failed, a new pod holds the name.
      if (isNotFound(err) || err instanceof ConflictError) return;
      throw err;
    }
  }
}
