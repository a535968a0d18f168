// The API server's two edges behind one interface, so that one table of security cases runs over
// gRPC (mkctl's and the components' protocol) and over Kubernetes' HTTP API alike, the latter over
// HTTP/2 (kubectl's Go client) and over HTTP/1.1 (client-node's): the same request, as the same
// identity (a certificate and key, or none), answers with the same code, reason and message. An
// HTTP error's body is kept, to check it is a metav1.Status.
import { readFileSync } from "node:fs";
import type { ClientRequest, IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { KINDS, type KindName, type KindTypes, toK8s } from "@mk/proto/api";
import { ApiError, type Clientset, connect } from "@mk/proto/client";
import { restRequest, restSession, type RestTarget } from "../integration/apiserver/rest-client.js";

export type EdgeName = "gRPC" | "HTTP/2" | "HTTP/1.1";
export const EDGES: readonly EdgeName[] = ["gRPC", "HTTP/2", "HTTP/1.1"];
/** The edge's name as a part of an object name: grpc, http2, http11. */
export const slug = (edge: EdgeName) => edge.toLowerCase().replace(/[^a-z0-9]/g, "");

/** A client certificate and key (PEM files); undefined: a client without a certificate. */
export type Identity = { cert: string; key: string } | undefined;

export interface Outcome {
  /** HTTP's status code; over gRPC, the HTTP code of the error's reason (200 when it succeeds). */
  code: number;
  reason: string;
  message: string;
  /** Over HTTP: the reply's body (a metav1.Status on failure). */
  body?: Record<string, unknown>;
}

/** One request, described the same way for both edges. */
export type EdgeRequest =
  | { verb: "get"; kind: KindName; name: string; namespace?: string }
  | { verb: "list"; kind: KindName; namespace?: string; fieldSelector?: string }
  /** Succeeds when the watch delivers its first event. */
  | { verb: "watch"; kind: KindName; namespace?: string; fieldSelector?: string }
  /** The object as the admin reads it (over the same edge), with a label added (and spec.nodeName
   *  set, when given: a node claiming another's pod), written back. */
  | { verb: "update" | "updateStatus"; kind: KindName; name: string; namespace?: string; nodeName?: string }
  | { verb: "delete"; kind: KindName; name: string; namespace?: string }
  | { verb: "create"; kind: KindName; object: KindTypes[KindName] };

export interface Edge {
  readonly name: EdgeName;
  call(who: Identity, req: EdgeRequest): Promise<Outcome>;
  close(): void;
}

const OK: Outcome = { code: 200, reason: "", message: "" };
const WATCH_TIMEOUT_MS = 20_000;
const TOUCHED = "e2e.mk.io/touched";

/** Opens the named edge of the API server at `address` (host:port), trusting `ca`. */
export function openEdge(name: EdgeName, target: { address: string; ca: string; admin: Identity }): Edge {
  return name === "gRPC" ? new GrpcEdge(target) : new HttpEdge(name, target);
}

class GrpcEdge implements Edge {
  readonly name = "gRPC";
  private readonly clients = new Map<string, Clientset>();
  constructor(private readonly target: { address: string; ca: string; admin: Identity }) {}

  private client(who: Identity): Clientset {
    const key = who ? who.cert : "";
    let cs = this.clients.get(key);
    if (!cs) {
      const tls = { ca: readFileSync(this.target.ca), ...(who ? { cert: readFileSync(who.cert), key: readFileSync(who.key) } : {}) };
      cs = connect({ server: this.target.address, tls, retry: { attempts: 1 }, timeoutMs: 20_000 });
      this.clients.set(key, cs);
    }
    return cs;
  }

  async call(who: Identity, req: EdgeRequest): Promise<Outcome> {
    const rc = this.client(who).resource(req.kind);
    try {
      switch (req.verb) {
        case "get":
          await rc.get(req.name, req.namespace ?? "");
          return OK;
        case "list":
          await rc.list({ namespace: req.namespace ?? "", fieldSelector: req.fieldSelector ?? "" });
          return OK;
        case "watch": {
          const w = rc.watch({ namespace: req.namespace ?? "", fieldSelector: req.fieldSelector ?? "" });
          try {
            const first = await Promise.race([w.next(), timeout(WATCH_TIMEOUT_MS)]);
            if (first.done) throw new Error("the watch ended before its first event");
            return OK;
          } finally {
            await w.return(undefined);
          }
        }
        case "update":
        case "updateStatus": {
          const obj = await this.client(this.target.admin).resource(req.kind).get(req.name, req.namespace ?? "");
          const meta = obj.metadata;
          if (meta) meta.labels = { ...meta.labels, [TOUCHED]: "grpc" };
          const spec = (obj as { spec?: { nodeName?: string } }).spec;
          if (req.nodeName !== undefined && spec) spec.nodeName = req.nodeName;
          await (req.verb === "update" ? rc.update(obj) : rc.updateStatus(obj));
          return OK;
        }
        case "delete":
          await rc.delete(req.name, req.namespace ?? "");
          return OK;
        case "create":
          await rc.create(req.object);
          return OK;
      }
    } catch (err) {
      if (err instanceof ApiError) return { code: err.httpStatus, reason: err.reason, message: err.message };
      throw err;
    }
  }

  close(): void {
    for (const cs of this.clients.values()) cs.close();
  }
}

class HttpEdge implements Edge {
  constructor(
    readonly name: "HTTP/2" | "HTTP/1.1",
    private readonly target: { address: string; ca: string; admin: Identity },
  ) {}

  /** One request; the body is sent as JSON. */
  private request(who: Identity, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
    return this.name === "HTTP/2" ? restRequest(this.rest(who), method, path, body === undefined ? {} : { body }) : http1Request(this.rest(who), method, path, body);
  }

  private rest(who: Identity): RestTarget {
    return { address: this.target.address, ca: this.target.ca, client: who };
  }

  async call(who: Identity, req: EdgeRequest): Promise<Outcome> {
    const info = KINDS[req.kind];
    const namespace = req.verb === "create" ? (req.object.metadata?.namespace ?? "") : (req.namespace ?? "");
    const collection = `/${info.group ? "apis" : "api"}/${info.apiVersion}${info.namespaced ? `/namespaces/${namespace || "default"}` : ""}/${info.plural}`;
    const query = (fieldSelector: string | undefined, watch = false) => {
      const q = new URLSearchParams();
      if (fieldSelector) q.set("fieldSelector", fieldSelector);
      if (watch) q.set("watch", "true");
      return q.size > 0 ? `?${q}` : "";
    };
    switch (req.verb) {
      case "get":
        return outcome(await this.request(who, "GET", `${collection}/${req.name}`));
      case "list":
        return outcome(await this.request(who, "GET", `${collection}${query(req.fieldSelector)}`));
      case "watch":
        return this.name === "HTTP/2" ? await firstWatchEvent(this.rest(who), `${collection}${query(req.fieldSelector, true)}`) : await firstWatchEventHttp1(this.rest(who), `${collection}${query(req.fieldSelector, true)}`);
      case "update":
      case "updateStatus": {
        const read = await this.request(this.target.admin, "GET", `${collection}/${req.name}`);
        if (read.status !== 200) throw new Error(`the admin cannot read ${collection}/${req.name}: ${read.text}`);
        const meta = read.body.metadata as Record<string, unknown>;
        meta.labels = { ...(meta.labels as Record<string, string> | undefined), [TOUCHED]: "http" };
        if (req.nodeName !== undefined) (read.body.spec as Record<string, unknown>).nodeName = req.nodeName;
        const path = `${collection}/${req.name}${req.verb === "updateStatus" ? "/status" : ""}`;
        return outcome(await this.request(who, "PUT", path, read.body));
      }
      case "delete":
        return outcome(await this.request(who, "DELETE", `${collection}/${req.name}`));
      case "create":
        return outcome(await this.request(who, "POST", collection, toK8s(info, req.object)));
    }
  }

  close(): void {}
}

function outcome(reply: { status: number; body: Record<string, unknown> }): Outcome {
  if (reply.status >= 200 && reply.status < 300) return { ...OK, body: reply.body };
  return { code: reply.status, reason: String(reply.body.reason ?? ""), message: String(reply.body.message ?? ""), body: reply.body };
}

/** A watch over HTTP: its refusal (a Status), or success when its first event (not an ERROR) arrives. */
async function firstWatchEvent(target: RestTarget, path: string): Promise<Outcome> {
  const conn = restSession(target);
  try {
    return await new Promise<Outcome>((resolve, reject) => {
      conn.on("error", reject);
      const stream = conn.request({ ":method": "GET", ":path": path, accept: "application/json" });
      let status = 0;
      let text = "";
      stream.on("response", (h) => {
        status = Number(h[":status"]);
      });
      stream.on("data", (c: Buffer) => {
        text += c.toString("utf8");
        const line = status === 200 ? text.split("\n", 2) : [];
        if (line.length < 2) return;
        const event = JSON.parse(line[0] ?? "") as { type: string; object: Record<string, unknown> };
        resolve(event.type === "ERROR" ? outcome({ status: Number(event.object.code), body: event.object }) : OK);
      });
      stream.on("end", () => {
        try {
          resolve(outcome({ status, body: JSON.parse(text) as Record<string, unknown> }));
        } catch {
          reject(new Error(`the watch ended with ${status}: ${text}`));
        }
      });
      stream.on("error", reject);
      setTimeout(() => reject(new Error(`no watch event within ${WATCH_TIMEOUT_MS} ms: ${status} ${text}`)), WATCH_TIMEOUT_MS).unref();
    });
  } finally {
    conn.close();
    conn.destroy();
  }
}

/** HTTP/1.1 over TLS, offering no ALPN at all, as node's https (and so client-node) does. */
function http1(target: RestTarget, method: string, path: string, onResponse: (res: IncomingMessage) => void, onError: (err: Error) => void): ClientRequest {
  const [host = "", port = ""] = target.address.split(":");
  const req = httpsRequest({
    host,
    port: Number(port),
    method,
    path,
    servername: "localhost",
    ca: readFileSync(target.ca),
    ...(target.client ? { cert: readFileSync(target.client.cert), key: readFileSync(target.client.key) } : {}),
    agent: false,
    headers: { accept: "application/json", "content-type": "application/json" },
  });
  req.on("response", onResponse);
  req.on("error", onError);
  return req;
}

function http1Request(target: RestTarget, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http1(
      target,
      method,
      path,
      (res) => {
        if (res.httpVersion !== "1.1") reject(new Error(`the reply came over HTTP/${res.httpVersion}, not HTTP/1.1`));
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString("utf8")));
        res.on("end", () => {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON: the text is there
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
        res.on("error", reject);
      },
      reject,
    );
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** firstWatchEvent over HTTP/1.1 (a chunked reply). */
function firstWatchEventHttp1(target: RestTarget, path: string): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    const req = http1(
      target,
      "GET",
      path,
      (res) => {
        let text = "";
        const done = (o: Outcome) => {
          resolve(o);
          res.destroy();
        };
        res.on("data", (c: Buffer) => {
          text += c.toString("utf8");
          const line = res.statusCode === 200 ? text.split("\n", 2) : [];
          if (line.length < 2) return;
          const event = JSON.parse(line[0] ?? "") as { type: string; object: Record<string, unknown> };
          done(event.type === "ERROR" ? outcome({ status: Number(event.object.code), body: event.object }) : OK);
        });
        res.on("end", () => {
          try {
            done(outcome({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
          } catch {
            reject(new Error(`the watch ended with ${res.statusCode}: ${text}`));
          }
        });
      },
      reject,
    );
    req.end();
    setTimeout(() => {
      req.destroy();
      reject(new Error(`no watch event within ${WATCH_TIMEOUT_MS} ms`));
    }, WATCH_TIMEOUT_MS).unref();
  });
}

function timeout(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`no watch event within ${ms} ms`)), ms).unref());
}
