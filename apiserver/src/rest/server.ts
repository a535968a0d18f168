// The Kubernetes HTTP/JSON edge of the API server: the same handlers as the gRPC edge
// (handlers/handlers.ts authorizes, the registry admits), with the same identities (the TLS client
// certificate, verified against the cluster CA), each failure mapped once to a metav1.Status.
import { createSecureServer, type Http2SecureServer } from "node:http2";
import type { TLSSocket } from "node:tls";
import { type AnyObject, fromK8s, isJsonObject, type JsonObject, type KindInfo, Schema, toK8s } from "@mk/proto/api";
import { BadRequestError, NotFoundError, RequestEntityTooLargeError, UnauthorizedError } from "@mk/proto/client";
import type { Logger } from "pino";
import { UNAUTHENTICATED_MESSAGE, userFromCertificate } from "../auth/identity.js";
import type { RequestContext } from "../handlers/context.js";
import { showShort as shown } from "../registry/validation.js";
import type { Handlers } from "../handlers/handlers.js";
import { AUTHORIZATION_GROUP, AUTHORIZATION_VERSION, selfSubjectAccessReview } from "./access-review.js";
import { apiGroupList, apiResourceList, apiVersions, kindAt } from "./discovery.js";
import { deleteCollection, deleteOptionsOf, dryRunOf } from "./delete.js";
import { checkFields, type FieldValidation, fieldValidationOf, warningHeader } from "./field-validation.js";
import { OpenApiV3 } from "./openapi.js";
import { OPENAPI_V2_PROTOBUF, openApiV2Document } from "./openapi-v2.js";
import { parseJsonBody } from "./json-body.js";
import { isProtobuf, protobufToJson } from "./protobuf.js";
import { parsePath, type ResourcePath } from "./paths.js";
import { selfSubjectRulesReview } from "./rules-review.js";
import { type StatusTarget, statusOf } from "./status.js";
import { patchResource, requireKnownBody, type SubresourceContext, subresource } from "./subresources.js";
import { includeObjectOf, tableOf, wantsTable } from "./table.js";
import { type RestMetrics, requestLabels } from "./request-metrics.js";
import { kubernetesVersion } from "./version.js";
import { healthReply } from "./health.js";
import { type StreamResponse, streamWatch } from "./watch.js";

export interface RestTls {
  cert: Buffer;
  key: Buffer;
  /** When given, requests need a client certificate signed by this CA (else 401). */
  clientCa?: Buffer | undefined;
}

export interface RestDeps {
  handlers: Handlers;
  log: Logger;
  /** Streams in progress (watches), so that shutdown can end them. */
  streams: Set<AbortController>;
  /** The address clients reach this server at, for /api's serverAddressByClientCIDRs. */
  address(): string;
  metrics?: RestMetrics | undefined;
  /** /readyz on this port, answered without authentication (health.ts): resolves when etcd answers. */
  ready(): Promise<void>;
}

/** Kubernetes' limit on a request body (3 MiB). */
const MAX_BODY = 3 * 1024 * 1024;

/** The parts of node's HTTP/1 and HTTP/2 compatibility request and response this edge uses. */
interface Request extends AsyncIterable<Buffer | string> {
  method?: string | undefined;
  url?: string | undefined;
  headers: { [name: string]: string | string[] | undefined };
  socket: unknown;
}
type Response = StreamResponse;

/** A request answered already (a watch streams its own reply). */
const STREAMED = Symbol("streamed");
/** A reply: a JSON body, or a JSON text made before (the OpenAPI documents); `warnings` become Warning headers. */
type Reply = { code: number; body: JsonObject; warnings?: string[] } | { code: number; text: string | Buffer; contentType?: string } | typeof STREAMED;

function contextOf(req: Request, mutualTls: boolean): RequestContext {
  const socket = req.socket as TLSSocket;
  const user = socket.authorized ? userFromCertificate(socket.getPeerCertificate()) : undefined;
  if (mutualTls && !user) throw new UnauthorizedError(UNAUTHENTICATED_MESSAGE);
  return { user };
}

async function readObjectBody(req: Request): Promise<JsonObject> {
  const body = await readBody(req);
  if (!body) throw new BadRequestError("the request carries no body");
  return body;
}

async function readBody(req: Request): Promise<JsonObject | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > MAX_BODY) throw new RequestEntityTooLargeError(`Request entity too large: limit is ${MAX_BODY}`);
    chunks.push(b);
  }
  if (size === 0) return undefined;
  // client-go's typed clients write Kubernetes' protobuf (kubectl create deployment, drain's evictions).
  if (isProtobuf(req.headers["content-type"])) return protobufToJson(Buffer.concat(chunks));
  const json = parseJsonBody(Buffer.concat(chunks));
  if (!isJsonObject(json)) throw new BadRequestError("the request body is not a JSON object");
  return json;
}

/**
 * The object a POST or PUT carries, checked against the path it was sent to and against the schema:
 * values of the wrong type refused by name, unknown fields as the request's fieldValidation says
 * (field-validation.ts), never dropped silently by the decoder unless asked to.
 */
function objectOfBody(schema: Schema, info: KindInfo, path: ResourcePath, sent: JsonObject, validation: FieldValidation): { object: AnyObject; warnings: string[] } {
  const sentMeta = isJsonObject(sent.metadata) ? sent.metadata : {};
  const { body, warnings } = checkFields(schema, info, sent, validation, typeof sentMeta.name === "string" ? sentMeta.name : path.name);
  if (body.kind !== undefined && body.kind !== info.kind) throw new BadRequestError(`the object's kind "${String(body.kind)}" does not match the path's resource "${path.plural}" (kind ${info.kind})`);
  if (body.apiVersion !== undefined && body.apiVersion !== info.apiVersion) throw new BadRequestError(`the object's apiVersion "${String(body.apiVersion)}" does not match the path's ${info.apiVersion}`);
  const obj = fromK8s(info, body);
  const meta = obj.metadata;
  if (meta && info.namespaced) {
    if (meta.namespace && path.namespace && meta.namespace !== path.namespace) {
      throw new BadRequestError(`metadata.namespace: Invalid value: ${shown(meta.namespace)}: the namespace of the provided object does not match the namespace sent on the request (${JSON.stringify(path.namespace)})`);
    }
    meta.namespace = path.namespace || meta.namespace;
  }
  if (meta && path.name && meta.name !== path.name) {
    throw new BadRequestError(`metadata.name: Invalid value: ${shown(meta.name)}: the name of the object does not match the name on the URL (${JSON.stringify(path.name)})`);
  }
  return { object: obj, warnings };
}

export function restHandler(deps: RestDeps, mutualTls: boolean) {
  const { handlers } = deps;
  const schema = Schema.load();
  const openapi = new OpenApiV3();
  const openapiV2 = openApiV2Document();

  async function resource(ctx: RequestContext, req: Request, res: Response, path: ResourcePath, query: URLSearchParams, target: StatusTarget): Promise<Reply> {
    if (path.group === AUTHORIZATION_GROUP && path.version === AUTHORIZATION_VERSION && path.plural === "selfsubjectaccessreviews" && !path.name && req.method === "POST") {
      return { code: 201, body: await selfSubjectAccessReview(handlers, ctx, await readObjectBody(req)) };
    }
    if (path.group === AUTHORIZATION_GROUP && path.version === AUTHORIZATION_VERSION && path.plural === "selfsubjectrulesreviews" && !path.name && req.method === "POST") {
      return { code: 201, body: await selfSubjectRulesReview(handlers, ctx, await readObjectBody(req)) };
    }
    const info = kindAt(path.group, path.version, path.plural);
    if (!info) throw new NotFoundError(`the server could not find the requested resource (${path.plural})`);
    target.kind = info.kind;
    target.name = path.name;
    const namespace = info.namespaced ? path.namespace : "";
    const method = req.method ?? "GET";
    requireKnownBody(method, req.headers["content-type"]);
    const sub: SubresourceContext = { handlers, streams: deps.streams, ctx, info, path, namespace: namespace || (info.namespaced ? "default" : ""), query };
    if (path.subresource === "status" && method === "PUT" && path.name) {
      const { object, warnings } = objectOfBody(schema, info, path, await readObjectBody(req), fieldValidationOf(query.get("fieldValidation")));
      const out = await handlers.updateStatus(ctx, { object: { kind: info.kind, object } as never, dryRun: dryRunOf(query) });
      return { code: 200, body: toK8s(info, out.object), warnings };
    }
    if (path.subresource && path.name) {
      const out = await subresource(sub, req, res);
      return out === "streamed" ? STREAMED : out;
    }
    if (method === "PATCH" && path.name) {
      const out = await patchResource(sub, req, "");
      return out === "streamed" ? STREAMED : out;
    }
    const table = wantsTable(typeof req.headers.accept === "string" ? req.headers.accept : undefined);
    const include = includeObjectOf(query.get("includeObject"));
    if (method === "GET" && path.name) {
      const out = await handlers.get(ctx, { kind: info.kind, namespace: namespace || (info.namespaced ? "default" : ""), name: path.name });
      const body = table ? tableOf(info, [out.object], { resourceVersion: "", include, now: Date.now() }) : toK8s(info, out.object);
      return { code: 200, body };
    }
    const watch = query.get("watch");
    if (method === "GET" && (watch === "true" || watch === "1")) {
      const watchRequest = {
        kind: info.kind,
        namespace,
        labelSelector: query.get("labelSelector") ?? "",
        fieldSelector: query.get("fieldSelector") ?? "",
        resourceVersion: query.get("resourceVersion") ?? "",
        allowBookmarks: query.get("allowWatchBookmarks") === "true",
      };
      const timeoutSeconds = Number(query.get("timeoutSeconds") ?? 0);
      if (!Number.isSafeInteger(timeoutSeconds) || timeoutSeconds < 0) throw new BadRequestError(`timeoutSeconds: Invalid value: "${query.get("timeoutSeconds")}": must be a non-negative integer`);
      await streamWatch(deps, ctx, info, watchRequest, res, { table, include, timeoutSeconds });
      return STREAMED;
    }
    if (method === "GET") {
      const page = await handlers.list(ctx, {
        kind: info.kind,
        namespace,
        labelSelector: query.get("labelSelector") ?? "",
        fieldSelector: query.get("fieldSelector") ?? "",
        limit: Number(query.get("limit") ?? 0) || 0,
        continue: query.get("continue") ?? "",
      });
      if (table) return { code: 200, body: tableOf(info, page.items, { resourceVersion: page.revision, continue: page.continue, include, now: Date.now() }) };
      const metadata: JsonObject = { resourceVersion: page.revision };
      if (page.continue) metadata.continue = page.continue;
      const items = page.items.map((o) => {
        // Kubernetes' list items carry no apiVersion and kind of their own.
        const { apiVersion: _v, kind: _k, ...rest } = toK8s(info, o);
        return rest;
      });
      return { code: 200, body: { kind: `${info.kind}List`, apiVersion: info.apiVersion, metadata, items } };
    }
    if (method === "POST" && !path.name) {
      const { object, warnings } = objectOfBody(schema, info, path, await readObjectBody(req), fieldValidationOf(query.get("fieldValidation")));
      target.name = object.metadata?.name;
      const out = await handlers.create(ctx, { object: { kind: info.kind, object } as never, dryRun: dryRunOf(query) });
      return { code: 201, body: toK8s(info, out.object), warnings };
    }
    if (method === "PUT" && path.name) {
      const { object, warnings } = objectOfBody(schema, info, path, await readObjectBody(req), fieldValidationOf(query.get("fieldValidation")));
      const out = await handlers.update(ctx, { object: { kind: info.kind, object } as never, dryRun: dryRunOf(query) });
      return { code: 200, body: toK8s(info, out.object), warnings };
    }
    if (method === "DELETE") {
      const options = deleteOptionsOf(query, await readBody(req));
      const ns = namespace || (info.namespaced ? "default" : "");
      if (!path.name) return { code: 200, body: await deleteCollection(handlers, ctx, info, namespace, query, options) };
      const out = await handlers.delete(ctx, { kind: info.kind, namespace: ns, name: path.name, ...options });
      return { code: out.pending ? 202 : 200, body: toK8s(info, out.object) };
    }
    throw new MethodNotAllowed(method, path);
  }

  async function route(req: Request, res: Response, target: StatusTarget): Promise<Reply> {
    const url = new URL(req.url ?? "/", "https://mk");
    const parsed = parsePath(url.pathname);
    const ctx = contextOf(req, mutualTls);
    switch (parsed.type) {
      case "version":
        return { code: 200, body: kubernetesVersion(await handlers.version(ctx)) };
      case "api":
        return { code: 200, body: apiVersions(deps.address()) };
      case "apis":
        return { code: 200, body: apiGroupList() };
      case "openapiV2":
        return { code: 200, text: openapiV2, contentType: OPENAPI_V2_PROTOBUF };
      case "openapiIndex":
        return { code: 200, body: openapi.index() };
      case "openapiDocument": {
        const doc = openapi.document(parsed.path);
        if (!doc) throw new NotFoundError(`the server could not find the requested resource (${url.pathname})`);
        return { code: 200, text: doc.body };
      }
      case "groupVersion": {
        const list = apiResourceList(parsed.group, parsed.version);
        if (!list) throw new NotFoundError(`the server could not find the requested resource (${url.pathname})`);
        return { code: 200, body: list };
      }
      case "resource":
        return await resource(ctx, req, res, parsed.path, url.searchParams, target);
      case "unknown":
        throw new NotFoundError(`the server could not find the requested resource (${url.pathname})`);
    }
  }

  return (req: Request, res: Response): void => {
    const started = performance.now();
    const health = healthReply(req.method ?? "GET", new URL(req.url ?? "/", "https://mk").pathname, deps.ready);
    if (health) {
      void health.then((h) => {
        res.writeHead(h.code, { "content-type": "text/plain; charset=utf-8" });
        res.end(req.method === "HEAD" ? undefined : h.text);
      });
      return;
    }
    // What the request is about, filled in as it is parsed, for the details of an error's Status.
    const target: StatusTarget = {};
    route(req, res, target)
      .catch((err: unknown) => {
        const reply = statusOf(err, target);
        if (reply.code >= 500) deps.log.error({ err, method: req.method, url: req.url }, "http request failed");
        return reply;
      })
      .then((reply) => {
        const labels = requestLabels(req.method ?? "GET", new URL(req.url ?? "/", "https://mk"));
        if (reply === STREAMED) {
          deps.metrics?.observe(labels, res.statusCode ?? 200, undefined);
          return;
        }
        deps.metrics?.observe(labels, reply.code, (performance.now() - started) / 1000);
        const headers: { [name: string]: string | string[] } = { "content-type": ("contentType" in reply && reply.contentType) || "application/json" };
        if ("warnings" in reply && reply.warnings && reply.warnings.length > 0) headers.warning = reply.warnings.map(warningHeader);
        res.writeHead(reply.code, headers);
        res.end("text" in reply ? reply.text : JSON.stringify(reply.body));
      })
      .catch((err: unknown) => deps.log.warn({ err, url: req.url }, "http reply failed"));
  };
}

class MethodNotAllowed extends BadRequestError {
  constructor(method: string, path: ResourcePath) {
    super(`the server does not allow ${method} on ${path.plural}${path.name ? `/${path.name}` : ""} (yet)`);
  }
  override get httpStatus(): number {
    return 405;
  }
}

/** The HTTP/2 (and HTTP/1.1) TLS server; the front door hands it its connections. */
export function createRestServer(deps: RestDeps, tls: RestTls): Http2SecureServer {
  const server = createSecureServer({
    cert: tls.cert,
    key: tls.key,
    ca: tls.clientCa,
    // Ask for a certificate but let the handshake finish without one: the request then gets a 401
    // Status (as Kubernetes answers) instead of a bare TLS failure.
    requestCert: !!tls.clientCa,
    rejectUnauthorized: false,
    allowHTTP1: true,
  });
  // Node ends an HTTP/1.1 request after 5 minutes by default: a watch (client-node's informers watch
  // over HTTP/1.1) lasts as long as its client wants, or its timeoutSeconds, as in Kubernetes.
  // (The property exists on node's server with allowHTTP1, but @types/node leaves it out.)
  (server as unknown as { requestTimeout: number }).requestTimeout = 0;
  server.on("request", restHandler(deps, !!tls.clientCa));
  server.on("secureConnection", (socket: TLSSocket) => socket.on("error", (err) => deps.log.debug({ err: err.message }, "http connection error")));
  return server;
}
