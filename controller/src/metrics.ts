// Prometheus metrics of the controller manager, served on /metrics by main.
import type { RunnerMetrics } from "@mk/proto/informer";
import { Counter, Histogram, Registry } from "prom-client";

export class ControllerMetrics implements RunnerMetrics {
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
  readonly droppedKeys = new Counter({
    name: "mk_controller_dropped_keys_total",
    help: "Keys given up on after the retry cap, by controller (each also a Warning event on its object).",
    labelNames: ["controller"] as const,
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

  /** The runner's hook: one sync(key) ended. */
  syncDone(controller: string, seconds: number, failed: boolean): void {
    this.syncSeconds.observe({ controller }, seconds);
    this.syncs.inc({ controller, result: failed ? "error" : "ok" });
  }

  /** The runner's hook: a key was dropped after the retry cap. */
  keyDropped(controller: string): void {
    this.droppedKeys.inc({ controller });
  }
}
