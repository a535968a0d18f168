// WATCH over HTTP, as Kubernetes streams it: one JSON object a line, `{"type": …, "object": …}`, the
// object in Kubernetes' JSON, or a one-row Table when the client asked `get -w` for Tables. A failure
// before the watch is set up is a plain Status reply with its HTTP code; after it, an ERROR event.
import type { WatchEvent, WatchRequest } from "@mk/proto";
import { type JsonObject, type KindInfo, toK8s, unwrap } from "@mk/proto/api";
import { ExpiredError } from "@mk/proto/client";
import type { RequestContext } from "../handlers/context.js";
import type { Handlers } from "../handlers/handlers.js";
import { statusOf } from "./status.js";
import { type IncludeObject, tableOf } from "./table.js";

export interface StreamResponse {
  /** The status written (or to be written), for the request metrics. */
  readonly statusCode?: number;
  writeHead(code: number, headers: { [name: string]: string | string[] }): unknown;
  /** false when the client's buffer is full: wait for "drain". */
  write(chunk: string | Uint8Array): boolean;
  end(body?: string | Buffer): unknown;
  once(event: "close" | "drain", listener: () => void): unknown;
  /** Sends the headers now (HTTP/1.1 holds them until the first write). */
  flushHeaders?(): void;
}

export interface WatchOptions {
  table: boolean;
  include: IncludeObject;
  /** The watch's timeoutSeconds: it then ends cleanly, and the client watches again. */
  timeoutSeconds?: number | undefined;
}

function eventJson(info: KindInfo, ev: WatchEvent, opts: WatchOptions): JsonObject {
  const u = unwrap(ev.object);
  if (!u) return { type: ev.type, object: {} };
  if (ev.type === "BOOKMARK") {
    return { type: ev.type, object: { kind: info.kind, apiVersion: info.apiVersion, metadata: { resourceVersion: u.object.metadata?.resourceVersion ?? "" } } };
  }
  const rv = u.object.metadata?.resourceVersion ?? "";
  const object = opts.table ? tableOf(info, [u.object], { resourceVersion: rv, include: opts.include, now: Date.now() }) : toK8s(info, u.object);
  return { type: ev.type, object };
}

/** Streams the watch to `res` until the client goes away or the watch fails. */
export async function streamWatch(
  deps: { handlers: Handlers; streams: Set<AbortController> },
  ctx: RequestContext,
  info: KindInfo,
  req: WatchRequest,
  res: StreamResponse,
  opts: WatchOptions,
): Promise<void> {
  // Registered with the server's streams, so that shutdown ends this watch as it ends gRPC ones.
  const ac = new AbortController();
  deps.streams.add(ac);
  res.once("close", () => ac.abort());
  const timeout = opts.timeoutSeconds ? setTimeout(() => ac.abort(), opts.timeoutSeconds * 1000) : undefined;
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders?.();
  };
  try {
    const sink = {
      // Headers go out as soon as the watch is set up, as Kubernetes flushes them: clients (client-node)
      // wait for them before they go on, and a quiet watch would otherwise look like a hung request.
      started: start,
      write: (ev: WatchEvent) => {
        start();
        res.write(`${JSON.stringify(eventJson(info, ev, opts))}\n`);
      },
    };
    await deps.handlers.watch(ctx, req, sink, ac.signal);
    start();
    res.end();
  } catch (err) {
    const status = statusOf(err, { kind: info.kind });
    // A start in compacted history is an ERROR event on a 200 stream, as Kubernetes sends it
    // (clients relist on its 410 Expired); other failures before the first event are plain replies.
    if (err instanceof ExpiredError) start();
    if (started) {
      res.end(`${JSON.stringify({ type: "ERROR", object: status.body })}\n`);
    } else {
      res.writeHead(status.code, { "content-type": "application/json" });
      res.end(JSON.stringify(status.body));
    }
  } finally {
    clearTimeout(timeout);
    deps.streams.delete(ac);
  }
}
