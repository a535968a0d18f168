// The DNS server's metrics, on the API server's registry (/metrics): queries by type, rcode and
// transport, where the answer came from, and the answer latency.
import { Counter, Histogram, type Registry } from "prom-client";

export class DnsMetrics {
  readonly queries: Counter<"type" | "rcode" | "transport" | "source">;
  readonly latency: Histogram<"transport" | "source">;

  constructor(registry: Registry) {
    this.queries = new Counter({
      name: "mk_dns_queries_total",
      help: "DNS queries answered, by question type, response code, transport (udp, tcp) and source (zone, forward)",
      labelNames: ["type", "rcode", "transport", "source"] as const,
      registers: [registry],
    });
    this.latency = new Histogram({
      name: "mk_dns_request_duration_seconds",
      help: "Time from a DNS query's arrival to its answer, by transport and source (zone, forward)",
      labelNames: ["transport", "source"] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 2.5],
      registers: [registry],
    });
  }
}
