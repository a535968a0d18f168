// A small HTTP/2 client for the API server's Kubernetes edge, offering ALPN h2 and http/1.1 as
// kubectl's Go client does, with the cluster CA and a client certificate (or none).
import { readFileSync } from "node:fs";
import { connect as http2Connect, type ClientHttp2Session } from "node:http2";
import { connect as tlsConnect } from "node:tls";

export interface RestReply {
  status: number;
  headers: { [name: string]: string | string[] | undefined };
  text: string;
  body: Record<string, unknown>;
}

export interface RestTarget {
  address: string;
  ca: string;
  /** Client certificate and key files; undefined: none. */
  client: { cert: string; key: string } | undefined;
}

export function restSession(target: RestTarget): ClientHttp2Session {
  const [host = "", port = ""] = target.address.split(":");
  return http2Connect(`https://${target.address}`, {
    createConnection: () =>
      tlsConnect({
        host,
        port: Number(port),
        servername: "localhost",
        ca: readFileSync(target.ca),
        ALPNProtocols: ["h2", "http/1.1"],
        ...(target.client ? { cert: readFileSync(target.client.cert), key: readFileSync(target.client.key) } : {}),
      }),
  });
}

/** One request on a fresh connection; the body is sent as JSON unless it is a Buffer. */
export async function restRequest(target: RestTarget, method: string, path: string, opts: { body?: unknown; accept?: string } = {}): Promise<RestReply> {
  const conn = restSession(target);
  try {
    return await new Promise<RestReply>((resolve, reject) => {
      conn.on("error", reject);
      const headers: Record<string, string> = { ":method": method, ":path": path, accept: opts.accept ?? "application/json" };
      if (opts.body !== undefined) headers["content-type"] = "application/json";
      // node's client ends a DELETE's stream at once unless told a body follows.
      const stream = conn.request(headers, { endStream: opts.body === undefined });
      let status = 0;
      let replyHeaders: RestReply["headers"] = {};
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        replyHeaders = h;
      });
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // Not JSON (a watch stream read whole): the text is there for the test.
        }
        resolve({ status, headers: replyHeaders, text, body });
      });
      stream.on("error", reject);
      if (opts.body === undefined) stream.end();
      else stream.end(Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body));
    });
  } finally {
    conn.close();
  }
}

/** Reads a watch's JSON lines until `done` says so (or `timeoutMs` passes: rejects with what came). */
export async function watchLines<T>(target: RestTarget, path: string, done: (events: { type: string; object: Record<string, unknown> }[]) => T | undefined, timeoutMs = 30_000): Promise<T> {
  const conn = restSession(target);
  try {
    const stream = conn.request({ ":method": "GET", ":path": path, accept: "application/json" });
    let buffered = "";
    return await new Promise<T>((resolve, reject) => {
      const check = () => {
        const events = buffered
          .split("\n")
          .slice(0, -1)
          .map((l) => JSON.parse(l) as { type: string; object: Record<string, unknown> });
        const out = done(events);
        if (out !== undefined) resolve(out);
      };
      stream.on("data", (c: Buffer) => {
        buffered += c.toString("utf8");
        check();
      });
      stream.on("end", () => {
        // A reply that is not a stream (a Status) ends at once: let `done` see it as one line.
        if (!buffered.endsWith("\n")) buffered += "\n";
        check();
        reject(new Error(`the watch ended: ${buffered}`));
      });
      stream.on("error", reject);
      setTimeout(() => reject(new Error(`the watch did not deliver within ${timeoutMs} ms; got: ${buffered}`)), timeoutMs).unref();
    });
  } finally {
    conn.close();
    conn.destroy();
  }
}
