// The gRPC edge of the Resources service: each method unwraps its request into a handler call
// (handlers/handlers.ts does authorization, the registry admission) and maps any failure to a gRPC
// status exactly once (toServiceError). Metrics and error logs are taken here too.
import { type ClientReadableStream, type ServerUnaryCall, type ServerWritableStream, type ServiceError, type sendUnaryData, status } from "@grpc/grpc-js";
import { type AccessReviewRequest, type ExecOutput, type ExecRequest, isKindName, type LogChunk, type LogsRequest, type ResourcesServer, unwrap, type WatchEvent, type WatchRequest, wrap } from "@mk/proto";
import type { Json, JsonObject } from "@mk/proto/api";
import { ApiError, BadRequestError, REQUEST_ID_HEADER, toServiceError } from "@mk/proto/client";
import type { Logger } from "pino";
import { userOf } from "../../auth/identity.js";
import type { RequestContext } from "../../handlers/context.js";
import type { Handlers } from "../../handlers/handlers.js";
import type { ApiMetrics } from "../../http/metrics.js";
import { reviewAttributes } from "../../rest/access-review.js";
import { pipeStream } from "../proxy.js";

export interface ServiceDeps {
  handlers: Handlers;
  metrics: ApiMetrics;
  log: Logger;
  /** Streams in progress, so shutdown can end them. */
  streams: Set<AbortController>;
}

/** Who calls: the verified client certificate's user (the auth interceptor has refused calls without one). */
function contextOf(call: Pick<ServerUnaryCall<unknown, unknown>, "getAuthContext" | "metadata">): RequestContext {
  const id = call.metadata.get(REQUEST_ID_HEADER)[0];
  return { user: userOf(call.getAuthContext()), requestId: typeof id === "string" && UUID.test(id) ? id.toLowerCase() : undefined };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The kind label of a watch's metrics (unknown kinds are counted as such; the watch itself rejects them). */
function watchKindLabel(kind: string): string {
  return isKindName(kind) ? kind : "unknown";
}

/** The patch document a PatchRequest carries as JSON bytes. */
function parsePatch(bytes: Uint8Array): Json {
  try {
    return JSON.parse(Buffer.from(bytes).toString("utf8")) as Json;
  } catch (err) {
    throw new BadRequestError(`the patch is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function resourcesService(deps: ServiceDeps): ResourcesServer {
  const { handlers, metrics, log } = deps;

  const record = (method: string, kind: string, start: number, err: unknown) => {
    const code = err === undefined ? status.OK : err instanceof ApiError ? err.code : status.INTERNAL;
    metrics.requests.inc({ method, kind, code: status[code] ?? String(code) });
    metrics.latency.observe({ method, kind }, (performance.now() - start) / 1000);
    if (err !== undefined && !(err instanceof ApiError)) log.error({ err, method, kind }, "request failed");
  };

  /** A unary method: typed errors become gRPC statuses once, here. */
  function unary<Q, R>(method: string, kindName: (req: Q) => string, fn: (ctx: RequestContext, req: Q) => Promise<R>) {
    return (call: ServerUnaryCall<Q, R>, callback: sendUnaryData<R>) => {
      const start = performance.now();
      let kind = "";
      try {
        kind = kindName(call.request);
      } catch {
        // the kind is for metrics only; a bad request fails in fn with its own error
      }
      fn(contextOf(call), call.request).then(
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

  /** A server-streaming method: runs until `fn` settles or the client cancels. */
  function streaming<Q, R>(method: string, kindName: (req: Q) => string, fn: (ctx: RequestContext, call: ServerWritableStream<Q, R>, signal: AbortSignal) => Promise<void>) {
    return (call: ServerWritableStream<Q, R>) => {
      const start = performance.now();
      const kind = kindName(call.request);
      const ac = new AbortController();
      deps.streams.add(ac);
      call.on("cancelled", () => ac.abort());
      call.on("close", () => ac.abort());
      fn(contextOf(call), call, ac.signal).then(
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

  /** Relays a kubelet's stream to the caller, pausing the kubelet while the caller's buffer is full. */
  const relay = <Q, R>(call: ServerWritableStream<Q, R>, upstream: ClientReadableStream<R>, signal: AbortSignal) =>
    pipeStream(upstream, (m) => call.write(m), signal, (cb) => call.once("drain", cb));

  return {
    create: unary("Create", (r) => unwrap(r.object)?.kind ?? "", async (ctx, req) => {
      const out = await handlers.create(ctx, { object: unwrap(req.object), dryRun: req.dryRun });
      return wrap(out.kind, out.object);
    }),

    get: unary("Get", (r) => r.kind, async (ctx, req) => {
      const out = await handlers.get(ctx, req);
      return wrap(out.kind, out.object);
    }),

    list: unary("List", (r) => r.kind, async (ctx, req) => {
      const page = await handlers.list(ctx, req);
      return { items: page.items.map((o) => wrap(page.kind, o)), metadata: { resourceVersion: page.revision, continue: page.continue } };
    }),

    update: unary("Update", (r) => unwrap(r.object)?.kind ?? "", async (ctx, req) => {
      const out = await handlers.update(ctx, { object: unwrap(req.object), dryRun: req.dryRun });
      return wrap(out.kind, out.object);
    }),

    updateStatus: unary("UpdateStatus", (r) => unwrap(r.object)?.kind ?? "", async (ctx, req) => {
      const out = await handlers.updateStatus(ctx, { object: unwrap(req.object), dryRun: req.dryRun });
      return wrap(out.kind, out.object);
    }),

    delete: unary("Delete", (r) => r.kind, async (ctx, req) => {
      const out = await handlers.delete(ctx, req);
      return { object: wrap(out.kind, out.object), pending: out.pending };
    }),

    watch: streaming<WatchRequest, WatchEvent>("Watch", (r) => r.kind, async (ctx, call, signal) => {
      const kind = watchKindLabel(call.request.kind);
      metrics.watches.inc({ kind });
      try {
        await handlers.watch(ctx, call.request, { write: (ev) => call.write(ev) }, signal);
      } finally {
        metrics.watches.dec({ kind });
      }
    }),

    bind: unary("Bind", () => "Pod", (ctx, req) => handlers.bind(ctx, req)),

    getScale: unary("GetScale", (r) => r.kind, (ctx, req) => handlers.getScale(ctx, req)),

    updateScale: unary("UpdateScale", (r) => r.kind, (ctx, req) => handlers.updateScale(ctx, req)),

    logs: streaming<LogsRequest, LogChunk>("Logs", () => "Pod", async (ctx, call, signal) => {
      await relay(call, await handlers.logs(ctx, call.request), signal);
    }),

    exec: streaming<ExecRequest, ExecOutput>("Exec", () => "Pod", async (ctx, call, signal) => {
      await relay(call, await handlers.exec(ctx, call.request), signal);
    }),

    version: unary("Version", () => "", (ctx) => handlers.version(ctx)),

    patch: unary("Patch", (r) => r.kind, async (ctx, req) => {
      const out = await handlers.patch(ctx, { ...req, patch: parsePatch(req.patch) });
      return wrap(out.kind, out.object);
    }),

    // The HTTP edge's SelfSubjectAccessReview, the same verb mapping and the same authorizer.
    accessReview: unary("AccessReview", () => "", async (ctx, req: AccessReviewRequest) => {
      const decision = await handlers.reviewAccess(ctx, reviewAttributes(reviewSpec(req)));
      return decision.allowed ? { allowed: true, reason: "" } : { allowed: false, reason: decision.reason };
    }),
  };
}

/** The request as a SelfSubjectAccessReview's spec: a path asks about a non-resource URL. */
function reviewSpec(req: AccessReviewRequest): JsonObject {
  if (req.path) return { nonResourceAttributes: { verb: req.verb, path: req.path } };
  const { verb, group, resource, subresource, namespace, name } = req;
  return { resourceAttributes: { verb, group, resource, subresource, namespace, name } };
}
