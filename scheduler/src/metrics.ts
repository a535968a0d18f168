// The scheduler's Prometheus metrics, named after kube-scheduler's.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface SchedulerMetrics {
  attempts: Counter<"result">;
  attemptDuration: Histogram<"result">;
  e2eLatency: Histogram;
  pending: Gauge<"queue">;
  bindsInFlight: Gauge;
  eventsShed: Counter;
}

export function newMetrics(registry: Registry): SchedulerMetrics {
  const registers = [registry];
  return {
    attempts: new Counter({
      name: "scheduler_schedule_attempts_total",
      help: "Scheduling attempts by result: scheduled, unschedulable, error.",
      labelNames: ["result"],
      registers,
    }),
    attemptDuration: new Histogram({
      name: "scheduler_scheduling_attempt_duration_seconds",
      help: "Time of the filter and score pipeline for one pod.",
      labelNames: ["result"],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers,
    }),
    e2eLatency: new Histogram({
      name: "scheduler_pod_scheduling_duration_seconds",
      help: "From a pod entering the queue to its Bind returning.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    pending: new Gauge({
      name: "scheduler_pending_pods",
      help: "Pods in the scheduling queue, by part: active, backoff, unschedulable.",
      labelNames: ["queue"],
      registers,
    }),
    bindsInFlight: new Gauge({ name: "scheduler_binds_in_flight", help: "Bind calls not yet answered.", registers }),
    eventsShed: new Counter({
      name: "scheduler_events_shed_total",
      help: "Scheduled events not written because of their rate cap (events are best effort).",
      registers,
    }),
  };
}
