// Prometheus metrics of one API server (its own registry, so several servers can share a process).
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "mk_apiserver_requests_total",
    help: "API requests by method, kind and gRPC code",
    labelNames: ["method", "kind", "code"] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: "mk_apiserver_request_duration_seconds",
    help: "API request latency (unary calls; streams until set up)",
    labelNames: ["method", "kind"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly watches = new Gauge({
    name: "mk_apiserver_watches_open",
    help: "Watch streams open, by kind",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly evictions = new Counter({
    name: "mk_apiserver_pod_evictions_total",
    help: "Pod evictions received (policy/v1 Eviction), by outcome: evicted (deleted gracefully) or refused",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: "mk_apiserver_http_requests_total",
    help: "Kubernetes HTTP API requests by verb, resource and HTTP code (watches counted as they end)",
    labelNames: ["verb", "resource", "code"] as const,
    registers: [this.registry],
  });
  readonly httpLatency = new Histogram({
    name: "mk_apiserver_http_request_duration_seconds",
    help: "Kubernetes HTTP API request latency by verb and resource (watches excluded)",
    labelNames: ["verb", "resource"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  /** The HTTP edge's view of these metrics (rest/request-metrics.ts). */
  readonly rest = {
    observe: (labels: { verb: string; resource: string }, code: number, seconds: number | undefined) => {
      this.httpRequests.inc({ verb: labels.verb, resource: labels.resource, code: String(code) });
      if (seconds !== undefined) this.httpLatency.observe({ verb: labels.verb, resource: labels.resource }, seconds);
    },
  };
  readonly etcdLatency = new Histogram({
    name: "mk_apiserver_etcd_request_duration_seconds",
    help: "etcd call latency by operation",
    labelNames: ["operation"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });
}
