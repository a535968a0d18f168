// Prometheus metrics of the controller manager, served on /metrics by main.
import { Counter, Histogram, Registry } from "prom-client";

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly syncs = new Counter({
    name: "mk_controller_syncs_total",
    help: "Syncs by controller and result (ok, error).",
    labelNames: ["controller", "result"] as const,
    registers: [this.registry],
  });
  readonly syncSeconds = new Histogram({
    name: "mk_controller_sync_duration_seconds",
    help: "Duration of one sync(key).",
    labelNames: ["controller"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly podsCreated = new Counter({
    name: "mk_replicaset_pods_created_total",
    help: "Pods created by the ReplicaSet controller.",
    registers: [this.registry],
  });
  readonly podsDeleted = new Counter({
    name: "mk_replicaset_pods_deleted_total",
    help: "Pods deleted by the ReplicaSet controller.",
    registers: [this.registry],
  });
  readonly gcDeleted = new Counter({
    name: "mk_gc_deleted_total",
    help: "Objects deleted by the garbage collector, by kind.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly podgcDeleted = new Counter({
    name: "mk_podgc_deleted_total",
    help: "Pods of deleted nodes force-deleted by the pod garbage collector.",
    registers: [this.registry],
  });

  /** Runs a sync and records its duration and result. */
  async time<T>(controller: string, fn: () => Promise<T>): Promise<T> {
    const end = this.syncSeconds.startTimer({ controller });
    try {
      const r = await fn();
      this.syncs.inc({ controller, result: "ok" });
      return r;
    } catch (err) {
      this.syncs.inc({ controller, result: "error" });
      throw err;
    } finally {
      end();
    }
  }
}
