// The gRPC edge: each handler unwraps its request, calls the registry, and maps any failure to a
// gRPC status exactly once (toServiceError). Metrics and error logs are taken here too.
import { type ServerUnaryCall, type ServerWritableStream, type ServiceError, type sendUnaryData, status } from "@grpc/grpc-js";
import {
  type ExecOutput,
  type ExecRequest,
  isKindName,
  type KindName,
  type LogChunk,
  type LogsRequest,
  type Object as ApiObject,
  type ResourcesServer,
  unwrap,
  type VersionInfo,
  type WatchEvent,
  type WatchRequest,
  wrap,
} from "@mk/proto";
import { ApiError, BadRequestError, InvalidError, toServiceError } from "@mk/proto/client";
import type { Logger } from "pino";
import type { ApiMetrics } from "../http/metrics.js";
import { bindPod } from "../registry/bind.js";
import { deleteObject } from "../registry/deletion.js";
import { getScale, scalableKind, updateScale } from "../registry/scale.js";
import type { Store } from "../registry/store.js";
import type { WatchHub } from "../watch/hub.js";
import { startWatch } from "../watch/session.js";
import { type KubeletProxy, pipeStream } from "./proxy.js";

export interface ServiceDeps {
  store: Store;
  hub: WatchHub;
  proxy: KubeletProxy;
  metrics: ApiMetrics;
  log: Logger;
  bookmarkIntervalMs: number;
  version(): Promise<VersionInfo>;
  /** Streams in progress, so shutdown can end them. */
  streams: Set<AbortController>;
}

function kindOf(kind: string): KindName {
  if (!isKindName(kind)) throw new BadRequestError(`the server doesn't have a resource type "${kind}"`);
  return kind;
}

function objectOf(o: ApiObject | undefined) {
  const u = unwrap(o);
  if (!u) throw new InvalidError("object: Required value: the request carries no object", [{ field: "object", type: "Required", detail: "the request carries no object" }]);
  return u;
}

export function resourcesService(deps: ServiceDeps): ResourcesServer {
  const { store, metrics, log } = deps;

  const record = (method: string, kind: string, start: number, err: unknown) => {
    const code = err === undefined ? status.OK : err instanceof ApiError ? err.code : status.INTERNAL;
    metrics.requests.inc({ method, kind, code: status[code] ?? String(code) });
    metrics.latency.observe({ method, kind }, (performance.now() - start) / 1000);
    if (err !== undefined && !(err instanceof ApiError)) log.error({ err, method, kind }, "request failed");
  };

  /** A unary handler: typed errors become gRPC statuses once, here. */
  function unary<Q, R>(method: string, kindName: (req: Q) => string, fn: (req: Q) => Promise<R>) {
    return (call: ServerUnaryCall<Q, R>, callback: sendUnaryData<R>) => {
      const start = performance.now();
      let kind = "";
      try {
        kind = kindName(call.request);
      } catch {
        // the kind is for metrics only; a bad request fails in fn with its own error
      }
      fn(call.request).then(
        (res) => {
          record(method, kind, start, undefined);
          callback(null, res);
        },
        (err: unknown) => {
          record(method, kind, start, err);
          callback(toServiceError(err) as ServiceError);
        },
      );
    };
  }

  /** A server-streaming handler: runs until `fn` settles or the client cancels. */
  function streaming<Q, R>(method: string, kindName: (req: Q) => string, fn: (call: ServerWritableStream<Q, R>, signal: AbortSignal) => Promise<void>) {
    return (call: ServerWritableStream<Q, R>) => {
      const start = performance.now();
      const kind = kindName(call.request);
      const ac = new AbortController();
      deps.streams.add(ac);
      call.on("cancelled", () => ac.abort());
      call.on("close", () => ac.abort());
      fn(call, ac.signal).then(
        () => {
          deps.streams.delete(ac);
          record(method, kind, start, undefined);
          if (!call.writableEnded) call.end();
        },
        (err: unknown) => {
          deps.streams.delete(ac);
          record(method, kind, start, err);
          if (!call.writableEnded && !ac.signal.aborted) call.emit("error", toServiceError(err));
          else if (!call.writableEnded) call.end();
        },
      );
    };
  }

  return {
    create: unary("Create", (r) => unwrap(r.object)?.kind ?? "", async (req) => {
      const { kind, object } = objectOf(req.object);
      return wrap(kind, await store.create(kind, object, req.dryRun));
    }),

    get: unary("Get", (r) => r.kind, async (req) => {
      const kind = kindOf(req.kind);
      return wrap(kind, await store.get(kind, req.namespace, req.name));
    }),

    list: unary("List", (r) => r.kind, async (req) => {
      const kind = kindOf(req.kind);
      const page = await store.list(kind, req);
      return { items: page.items.map((o) => wrap(kind, o)), metadata: { resourceVersion: page.revision, continue: page.continue } };
    }),

    update: unary("Update", (r) => unwrap(r.object)?.kind ?? "", async (req) => {
      const { kind, object } = objectOf(req.object);
      return wrap(kind, await store.update(kind, object, { dryRun: req.dryRun, statusOnly: false }));
    }),

    updateStatus: unary("UpdateStatus", (r) => unwrap(r.object)?.kind ?? "", async (req) => {
      const { kind, object } = objectOf(req.object);
      return wrap(kind, await store.update(kind, object, { dryRun: req.dryRun, statusOnly: true }));
    }),

    delete: unary("Delete", (r) => r.kind, async (req) => {
      const kind = kindOf(req.kind);
      const out = await deleteObject(store, kind, req.namespace, req.name, {
        gracePeriodSeconds: req.gracePeriodSeconds,
        propagationPolicy: req.propagationPolicy,
        preconditions: req.preconditions,
        dryRun: req.dryRun,
      });
      return { object: wrap(kind, out.object), pending: out.pending };
    }),

    watch: streaming<WatchRequest, WatchEvent>("Watch", (r) => r.kind, async (call, signal) => {
      const kind = r(call.request.kind);
      metrics.watches.inc({ kind });
      try {
        await new Promise<void>((resolve, reject) => {
          startWatch(
            { store, hub: deps.hub, bookmarkIntervalMs: deps.bookmarkIntervalMs },
            call.request,
            {
              write: (ev) => {
                call.write(ev);
              },
              end: (err) => (err ? reject(err) : resolve()),
            },
            signal,
          ).catch(reject);
        });
      } finally {
        metrics.watches.dec({ kind });
      }
    }),

    bind: unary("Bind", () => "Pod", async (req) => await bindPod(store, req)),

    getScale: unary("GetScale", (r) => r.kind, async (req) => await getScale(store, scalableKind(req.kind), req.namespace, req.name)),

    updateScale: unary("UpdateScale", (r) => r.kind, async (req) => await updateScale(store, scalableKind(req.kind), req)),

    logs: streaming<LogsRequest, LogChunk>("Logs", () => "Pod", async (call, signal) => {
      const client = await deps.proxy.clientFor(call.request.namespace || "default", call.request.pod, call.request.container);
      await pipeStream(client.logs(call.request), (m) => call.write(m), signal, (cb) => call.once("drain", cb));
    }),

    exec: streaming<ExecRequest, ExecOutput>("Exec", () => "Pod", async (call, signal) => {
      const client = await deps.proxy.clientFor(call.request.namespace || "default", call.request.pod, call.request.container);
      await pipeStream(client.exec(call.request), (m) => call.write(m), signal, (cb) => call.once("drain", cb));
    }),

    version: unary("Version", () => "", async () => await deps.version()),
  };
}

/** The kind label of a watch (unknown kinds are reported as given; the watch itself rejects them). */
function r(kind: string): string {
  return isKindName(kind) ? kind : "unknown";
}
