// The namespace controller (kube-controller-manager's pkg/controller/namespace): a namespace being
// deleted (deletionTimestamp set, phase Terminating, `kubernetes` in spec.finalizers) is emptied —
// every object of every namespaced kind is deleted (Background propagation; a pod on a node
// gracefully, through its kubelet) — and once nothing is left the `kubernetes` finalizer is removed,
// then the namespace deleted again, which removes it when no other finalizer holds it. Running here,
// it runs once per cluster: in the controller manager that holds the lease.
//
// Work items are namespace names; a namespace still holding objects is looked at again after
// `recheckMs` (objects waiting for kubelets or finalizers send no namespace event).
import { KIND_NAMES, KINDS, metaOf, type Namespace } from "@mk/proto";
import { type Clientset, ConflictError, isNotFound } from "@mk/proto/client";
import { type DeepReadonly, type Informer, runController, WorkQueue } from "@mk/proto/informer";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics.js";

const CONTROLLER = "namespace";
/** spec.finalizers' token of the namespace controller, as Kubernetes' (FinalizerKubernetes). */
export const NAMESPACE_FINALIZER = "kubernetes";

export interface NamespaceControllerOptions {
  client: Clientset;
  namespaceInformer: Informer<Namespace>;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
  /** How soon a namespace still holding objects is looked at again; default 2 s. */
  recheckMs?: number | undefined;
}

export class NamespaceController {
  readonly queue: WorkQueue;
  private readonly log: Logger;
  private readonly recheckMs: number;

  constructor(private readonly o: NamespaceControllerOptions) {
    this.log = o.logger.child({ controller: CONTROLLER });
    this.recheckMs = o.recheckMs ?? 2_000;
    this.queue = new WorkQueue({ name: CONTROLLER });
    const seen = (ns: DeepReadonly<Namespace>) => {
      if (ns.metadata?.deletionTimestamp) this.queue.add(ns.metadata.name);
    };
    o.namespaceInformer.addEventHandler({ add: seen, update: (_old, ns) => seen(ns) });
  }

  run(workers: number, signal: AbortSignal): Promise<void> {
    const { namespaceInformer, metrics } = this.o;
    return runController(
      {
        name: CONTROLLER,
        queue: this.queue,
        informers: [namespaceInformer],
        workers,
        sync: (name) => this.sync(name),
        objectFor: (name) => namespaceInformer.store.get(name),
        metrics,
        logger: this.log,
        details: { recheckMs: this.recheckMs },
      },
      signal,
    );
  }

  async sync(name: string): Promise<void> {
    const cached = this.o.namespaceInformer.store.get(name);
    if (!cached?.metadata?.deletionTimestamp) return;
    // The cache may lag: decide on the namespace as the API has it now.
    let ns: Namespace;
    try {
      ns = await this.o.client.namespaces.get(name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!ns.metadata?.deletionTimestamp) return;
    if (ns.spec?.finalizers.includes(NAMESPACE_FINALIZER)) {
      const remaining = await this.deleteContent(name);
      if (remaining > 0) {
        this.queue.addAfter(name, this.recheckMs);
        return;
      }
      const finalized = await this.finalize(name);
      if (!finalized) return;
      ns = finalized;
    }
    // Our finalizer is gone: delete once more, as Kubernetes' controller does; the API server removes
    // the namespace when no finalizer is left (an update without the last one already did).
    if ((ns.spec?.finalizers.length ?? 0) === 0) {
      await this.o.client.namespaces.delete(name).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      this.log.info({ namespace: name }, "namespace deleted");
    }
  }

  /** Deletes what is not yet being deleted; answers how many objects are still there. */
  private async deleteContent(namespace: string): Promise<number> {
    let remaining = 0;
    for (const kind of KIND_NAMES) {
      if (!KINDS[kind].namespaced) continue;
      const client = this.o.client.resource(kind);
      let cont = "";
      do {
        const page = await client.list({ namespace, limit: 500, continue: cont });
        cont = page.continue;
        for (const obj of page.items) {
          const meta = metaOf(obj);
          if (meta.deletionTimestamp) {
            remaining++;
            continue;
          }
          try {
            const out = await client.delete(meta.name, namespace, { propagationPolicy: "Background" });
            if (out.pending) remaining++;
          } catch (err) {
            if (!isNotFound(err)) throw err; // gone already: fine
          }
        }
      } while (cont);
    }
    return remaining;
  }

  /** Removes `kubernetes` from spec.finalizers; the namespace as written, or undefined once it is gone. */
  private async finalize(name: string): Promise<Namespace | undefined> {
    for (let attempt = 0; ; attempt++) {
      let ns: Namespace;
      try {
        ns = await this.o.client.namespaces.get(name);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      if (!ns.spec?.finalizers.includes(NAMESPACE_FINALIZER)) return ns;
      ns.spec.finalizers = ns.spec.finalizers.filter((f) => f !== NAMESPACE_FINALIZER);
      try {
        return await this.o.client.namespaces.update(ns);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        // A lost race with another writer: read again (a few times, then the queue's retry).
        if (attempt < 5 && err instanceof ConflictError) continue;
        throw err;
      }
    }
  }
}
