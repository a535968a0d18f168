// The HTTP side every long-running component serves beside its work: /healthz and /readyz, /metrics
// (Prometheus text from the component's registry) and /leader ("leader" or "standby").
import { createServer, type Server } from "node:http";

export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface HealthServerOptions {
  /** host:port; empty serves nothing. */
  listen: string;
  registry: MetricsSource;
  isLeader: () => boolean;
}

/** Starts listening (rejects when the address is taken); close() the result on shutdown. */
export async function serveHealth(o: HealthServerOptions): Promise<Server | undefined> {
  if (!o.listen) return undefined;
  const http = createServer((req, res) => {
    if (req.url === "/healthz" || req.url === "/readyz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    } else if (req.url === "/metrics") {
      o.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": o.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else if (req.url === "/leader") {
      res.writeHead(200, { "content-type": "text/plain" }).end(o.isLeader() ? "leader" : "standby");
    } else {
      res.writeHead(404).end();
    }
  });
  const i = o.listen.lastIndexOf(":");
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(Number(o.listen.slice(i + 1)), o.listen.slice(0, i) || "127.0.0.1", () => resolve());
  });
  return http;
}
