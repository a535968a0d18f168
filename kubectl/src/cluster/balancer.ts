// The cluster's one address in front of several API servers: a layer-4 TCP balancer, as k3s's agent
// load balancer and kubeadm's haproxy/kube-vip recipe put before kube-apiservers. TLS passes through
// untouched (each API server does its own mutual-TLS handshake, so client identities are the same as
// when dialled directly, and the API server's HTTP/gRPC split by ClientHello still works).
//
// - Backends are health-checked every checkMs on their /readyz; new connections go round-robin to
//   the healthy ones, then, as a last resort, to the rest (a check can lag a restart by checkMs).
//   The check is plain HTTP (the local cluster's loopback health ports) or HTTPS: an API server's
//   own TLS port answers /readyz without a client certificate (apiserver/src/rest/health.ts), which
//   is how machines check each other (deploy/vm), verified against `healthCa` when given.
// - A backend that refuses or does not accept within connectMs is skipped for the next one before a
//   byte is forwarded, so a new connection fails over at once; it is also marked unhealthy until
//   its next good check.
// - More backends may come from a file (`--backends-file`, one HOST:PORT=READYZ-URL or bare HOST:PORT
//   a line, the latter checked at https://HOST:PORT/readyz), re-read before every round of checks:
//   `cluster join --control-plane` adds its API server there, and on machines the `kubernetes`
//   Service's endpoints keep it (apiserver-endpoints.ts).
// - A connection through a backend that dies is closed both ways; the client reconnects (grpc-js
//   does at once) and lands on a live backend. Calls in flight on it end with UNAVAILABLE and are
//   retried by the client (proto/src/client/retry.ts, idempotently).
import { readFileSync } from "node:fs";
import { Agent as HttpAgent, createServer as createHttpServer, type Server as HttpServer, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { connect, createServer, type Server, type Socket } from "node:net";

export interface Backend {
  /** host:port of the API server. */
  address: string;
  /** Its readiness URL (plain HTTP). */
  healthUrl: string;
}

export interface BalancerOptions {
  /** host:port to listen on. */
  listen: string;
  /** host:port of /healthz (200 while some backend is healthy) and /backends (JSON); "" for none. */
  healthListen: string;
  backends: Backend[];
  /** More backends, one `HOST:PORT=READYZ-URL` or `HOST:PORT` a line, re-read before each round of checks (absent: none). */
  backendsFile?: string | undefined;
  /** PEM of the CA that signed the backends' certificates, for HTTPS checks (default: Node's roots). */
  healthCa?: Buffer | undefined;
  /** Between health checks of each backend; default 500 ms. */
  checkMs?: number;
  /** How long a backend may take to accept a connection before the next is tried; default 1 s. */
  connectMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

interface BackendState extends Backend {
  healthy: boolean;
  host: string;
  port: number;
  active: number;
  /** A check in flight: the next round skips this backend rather than queue behind it. */
  checking: boolean;
}

function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`${JSON.stringify(address)} is not HOST:PORT`);
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port };
}

export class TcpBalancer {
  private backends: BackendState[];
  private readonly checkMs: number;
  private readonly connectMs: number;
  private readonly log: (msg: string, fields?: Record<string, unknown>) => void;
  private next = 0;
  private server: Server | undefined;
  private http: HttpServer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly sockets = new Set<Socket>();

  // Checks reuse their connection: one TLS handshake per backend, not one every checkMs.
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  private readonly httpsAgent: HttpsAgent;

  constructor(private readonly o: BalancerOptions) {
    if (o.backends.length === 0 && !o.backendsFile) throw new Error("--backend: at least one API server is needed (or --backends-file)");
    this.backends = o.backends.map((b) => this.fresh(b));
    this.checkMs = o.checkMs ?? 500;
    this.connectMs = o.connectMs ?? 1_000;
    this.log = o.log ?? (() => {});
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ...(o.healthCa ? { ca: o.healthCa } : {}) });
  }

  private fresh(b: Backend): BackendState {
    return { ...b, ...splitHostPort(b.address), healthy: false, active: 0, checking: false };
  }

  /** The given backends and the file's; a backend already known keeps its state. */
  private refreshBackends(): void {
    if (!this.o.backendsFile) return;
    let text = "";
    try {
      text = readFileSync(this.o.backendsFile, "utf8");
    } catch (err) {
      // No file yet: no control-plane member joined.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.log("backends file unreadable", { file: this.o.backendsFile, err: String(err) });
    }
    const wanted = [...this.o.backends, ...parseBackends(text)];
    const known = new Map(this.backends.map((b) => [b.address, b]));
    const next = [...new Map(wanted.map((b) => [b.address, known.get(b.address) ?? this.fresh(b)])).values()];
    for (const b of next) if (!known.has(b.address)) this.log("backend added", { backend: b.address });
    this.backends = next;
  }

  /** Which backends are healthy now (for /backends and tests). */
  status(): { address: string; healthy: boolean; active: number }[] {
    return this.backends.map((b) => ({ address: b.address, healthy: b.healthy, active: b.active }));
  }

  async start(): Promise<void> {
    await this.checkAll();
    this.timer = setInterval(() => void this.checkAll(), this.checkMs);
    const server = createServer({ noDelay: true, pauseOnConnect: true }, (client) => void this.accept(client));
    this.server = server;
    const { host, port } = splitHostPort(this.o.listen);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    if (this.o.healthListen) {
      const h = splitHostPort(this.o.healthListen);
      const http = createHttpServer((req, res) => {
        if (req.url === "/backends") {
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(this.status()));
        } else if (req.url === "/healthz" || req.url === "/readyz") {
          const ok = this.backends.some((b) => b.healthy);
          res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok" : "no healthy API server");
        } else {
          res.writeHead(404).end();
        }
      });
      this.http = http;
      await new Promise<void>((resolve, reject) => {
        http.once("error", reject);
        http.listen(h.port, h.host, () => {
          http.off("error", reject);
          resolve();
        });
      });
    }
  }

  private async checkAll(): Promise<void> {
    this.refreshBackends();
    await Promise.all(
      this.backends.map(async (b) => {
        // A backend that does not answer (a frozen process) would otherwise pile checks up behind
        // its one kept-alive connection.
        if (b.checking) return;
        b.checking = true;
        const ok = await this.probe(b.healthUrl);
        b.checking = false;
        if (ok !== b.healthy) this.log(ok ? "backend healthy" : "backend unhealthy", { backend: b.address });
        b.healthy = ok;
      }),
    );
  }

  /** Whether GET url answers 2xx within the check's time (HTTPS verified against healthCa). */
  private probe(url: string): Promise<boolean> {
    return new Promise((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        resolve(false);
        return;
      }
      const https = target.protocol === "https:";
      const send = https ? httpsRequest : httpRequest;
      // One deadline for the whole check (connect, TLS, answer), not an idle timeout.
      const timer = setTimeout(() => req.destroy(new Error("health check timed out")), Math.max(this.checkMs * 2, 1_000));
      const req = send(target, { agent: https ? this.httpsAgent : this.httpAgent }, (res) => {
        clearTimeout(timer);
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
      });
      req.on("error", () => {
        clearTimeout(timer);
        resolve(false);
      });
      req.end();
    });
  }

  /** The order to try backends in for one connection: healthy ones round-robin, then the others. */
  private candidates(): BackendState[] {
    const n = this.backends.length;
    if (n === 0) return [];
    const start = this.next++ % n;
    const ring = Array.from({ length: n }, (_, i) => this.backends[(start + i) % n] as BackendState);
    return [...ring.filter((b) => b.healthy), ...ring.filter((b) => !b.healthy)];
  }

  private async accept(client: Socket): Promise<void> {
    this.sockets.add(client);
    client.once("close", () => this.sockets.delete(client));
    // Until a backend is connected the client's bytes wait in the kernel (pauseOnConnect).
    client.on("error", () => client.destroy());
    for (const b of this.candidates()) {
      if (client.destroyed) return;
      const upstream = await this.dial(b);
      if (!upstream) continue;
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      this.pipe(client, upstream, b);
      return;
    }
    this.log("no API server accepted the connection", {});
    client.destroy();
  }

  private dial(b: BackendState): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const s = connect({ host: b.host, port: b.port, noDelay: true });
      const fail = () => {
        clearTimeout(timer);
        s.destroy();
        if (b.healthy) this.log("backend refused a connection; marked unhealthy", { backend: b.address });
        b.healthy = false;
        resolve(undefined);
      };
      const timer = setTimeout(fail, this.connectMs);
      s.once("error", fail);
      s.once("connect", () => {
        clearTimeout(timer);
        s.off("error", fail);
        resolve(s);
      });
    });
  }

  private pipe(client: Socket, upstream: Socket, b: BackendState): void {
    b.active++;
    this.sockets.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on("error", close);
    client.on("error", close);
    upstream.once("close", () => {
      this.sockets.delete(upstream);
      b.active--;
      client.destroy();
    });
    client.once("close", () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r())),
      new Promise<void>((r) => (this.http ? this.http.close(() => r()) : r())),
    ]);
  }
}

/** Where a backend named without a readiness URL is checked: the API server's own TLS port. */
export function tlsReadyzUrl(address: string): string {
  const { host, port } = splitHostPort(address);
  return `https://${host.includes(":") ? `[${host}]` : host}:${port}/readyz`;
}

/**
 * The backends file: one `HOST:PORT=READYZ-URL` or `HOST:PORT` (checked at tlsReadyzUrl) a line;
 * blank lines, `#` comments and a malformed line are skipped (the file is written by mkctl and the
 * install scripts; a bad line must not stop the others from being balanced to).
 */
export function parseBackends(text: string): Backend[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .flatMap((l) => {
      if (l === "" || l.startsWith("#")) return [];
      const i = l.indexOf("=");
      const address = i < 0 ? l : l.slice(0, i);
      const url = i < 0 ? "" : l.slice(i + 1);
      try {
        splitHostPort(address);
      } catch {
        return []; // not HOST:PORT: skipped like any malformed line
      }
      if (i >= 0 && !URL.canParse(url)) return [];
      return [{ address, healthUrl: i < 0 ? tlsReadyzUrl(address) : url }];
    });
}
