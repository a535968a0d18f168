// Plain HTTP beside the gRPC API: /healthz (the process serves), /readyz (etcd answers) and
// /metrics (Prometheus text).
import { createServer, type Server } from "node:http";
import type { ApiMetrics } from "./metrics.js";

export interface HttpEndpoints {
  metrics: ApiMetrics;
  /** Resolves when the server is ready (etcd reachable); rejects with the reason otherwise. */
  ready(): Promise<void>;
}

export async function startHttp(host: string, port: number, ep: HttpEndpoints): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const reply = (code: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(code, { "content-type": type });
      res.end(body);
    };
    if (path === "/healthz" || path === "/livez") return reply(200, "ok");
    if (path === "/readyz") {
      ep.ready().then(
        () => reply(200, "ok"),
        (err: unknown) => reply(503, `etcd not ready: ${err instanceof Error ? err.message : String(err)}`),
      );
      return;
    }
    if (path === "/metrics") {
      ep.metrics.registry.metrics().then(
        (text) => reply(200, text, ep.metrics.registry.contentType),
        (err: unknown) => reply(500, String(err)),
      );
      return;
    }
    reply(404, "not found");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return { server, port: typeof addr === "object" && addr ? addr.port : port };
}
