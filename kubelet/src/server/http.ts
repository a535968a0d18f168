// The node's HTTP endpoints: /healthz (the kubelet's loops are alive and the lease is fresh) and
// /metrics (Prometheus, through prom-client).
import { createServer, type Server } from "node:http";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";

export interface HealthSource {
  /** "" when healthy, else why not. */
  unhealthy(): string;
}

export interface MetricSources {
  runningPods(): number;
  podStatusWrites(): number;
  nodeStatusWrites(): number;
  leaseRenewals(): number;
}

export function kubeletRegistry(src: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "mk_kubelet_" });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge("mk_kubelet_running_pods", "Pods bound to this node that the kubelet is syncing.", src.runningPods);
  gauge("mk_kubelet_pod_status_writes", "Pod status updates posted since start.", src.podStatusWrites);
  gauge("mk_kubelet_node_status_writes", "Node status updates posted since start.", src.nodeStatusWrites);
  gauge("mk_kubelet_lease_renewals", "Node lease renewals since start.", src.leaseRenewals);
  return registry;
}

export class KubeletHttpServer {
  private server: Server | undefined;

  constructor(
    private readonly health: HealthSource,
    private readonly registry: Registry,
  ) {}

  async start(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (path === "/healthz") {
        const why = this.health.unhealthy();
        res.writeHead(why ? 503 : 200, { "content-type": "text/plain" }).end(why || "ok");
        return;
      }
      if (path === "/metrics") {
        this.registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text),
          (err: unknown) => res.writeHead(500).end(String(err)),
        );
        return;
      }
      res.writeHead(404).end("not found");
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const a = server.address();
    return typeof a === "object" && a ? a.port : port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
