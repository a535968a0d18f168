// PATCH and the subresources over HTTP, through the same handlers as gRPC:
//   PATCH <resource>[/status]   json-patch+json, merge-patch+json, strategic-merge-patch+json
//                               (apply-patch+yaml, server-side apply, is 415: not served yet)
//   status    GET / PUT / PATCH (PUT and PATCH change status only)
//   scale     GET / PUT / PATCH of autoscaling/v1 Scale (deployments, replicasets)
//   binding   POST v1 Binding (pods): sets spec.nodeName
//   eviction  POST policy/v1 Eviction (pods): a graceful delete (kubectl drain)
//   log       GET (pods): the container's log as text, chunked; follow, container, tailLines,
//             sinceSeconds, previous, timestamps
import type { LogChunk } from "@mk/proto";
import { applyJsonPatch, applyMergePatch, isJsonObject, type Json, type JsonObject, type KindInfo, PATCH_CONTENT_TYPES, type PatchType, PatchError, toK8s } from "@mk/proto/api";
import { BadRequestError, NotFoundError, RequestEntityTooLargeError } from "@mk/proto/client";
import type { RequestContext } from "../handlers/context.js";
import type { Handlers } from "../handlers/handlers.js";
import { patchFailure } from "../registry/patch.js";
import { pipeStream } from "../service/proxy.js";
import { parseJsonBody } from "./json-body.js";
import { isProtobuf, PROTOBUF, protobufToJson } from "./protobuf.js";
import type { ResourcePath } from "./paths.js";
import { successStatus } from "./status.js";
import type { StreamResponse } from "./watch.js";

/** Kubernetes' limit on a request body (3 MiB). */
const MAX_BODY = 3 * 1024 * 1024;

export interface SubresourceRequest extends AsyncIterable<Buffer | string> {
  method?: string | undefined;
  headers: { [name: string]: string | string[] | undefined };
}

/** A reply to send as JSON, or "streamed" when the reply was written already (logs). */
export type SubresourceReply = { code: number; body: JsonObject } | "streamed";

/** The request's answer is not in a media type the server takes (HTTP 415). */
export class UnsupportedMediaTypeError extends BadRequestError {
  override get httpStatus(): number {
    return 415;
  }
}

const PATCH_TYPES = Object.entries(PATCH_CONTENT_TYPES) as [PatchType, string][];

/** The patch type of a PATCH's Content-Type; 415 for any other (server-side apply included). */
export function patchTypeOf(contentType: string | string[] | undefined): PatchType {
  const media = (typeof contentType === "string" ? contentType : "").split(";")[0]?.trim().toLowerCase() ?? "";
  const found = PATCH_TYPES.find(([, ct]) => ct === media);
  if (found) return found[0];
  if (media === "application/apply-patch+yaml") {
    throw new UnsupportedMediaTypeError("server-side apply (application/apply-patch+yaml) is not supported by mk: use client-side apply (kubectl apply without --server-side)");
  }
  throw new UnsupportedMediaTypeError(
    `the body of the request was in an unknown format "${media}" - accepted media types include: ${PATCH_TYPES.map(([, ct]) => ct).join(", ")}`,
  );
}

/** Bodies of POST and PUT are JSON, or Kubernetes' protobuf for the kinds protobuf.ts reads; else 415. */
export function requireKnownBody(method: string, contentType: string | string[] | undefined): void {
  if (method !== "POST" && method !== "PUT") return;
  const media = (typeof contentType === "string" ? contentType : "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (media === "" || media === "application/json" || media === "*/*" || media === PROTOBUF) return;
  throw new UnsupportedMediaTypeError(`the body of the request was in an unknown format "${media}" - accepted media types include: application/json, ${PROTOBUF}`);
}

/** The request body's bytes (at most 3 MiB). */
async function readBytes(req: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > MAX_BODY) throw new RequestEntityTooLargeError(`Request entity too large: limit is ${MAX_BODY}`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** The request body as JSON (any JSON value: a JSON patch is an array). */
export async function readJson(req: AsyncIterable<Buffer | string>): Promise<Json> {
  return parseJsonBody(await readBytes(req));
}

/** A JSON object body, or a protobuf one (client-go's typed writes: drain's Eviction). */
async function readObject(req: SubresourceRequest): Promise<JsonObject> {
  if (isProtobuf(req.headers["content-type"])) return protobufToJson(await readBytes(req));
  const body = await readJson(req);
  if (!isJsonObject(body)) throw new BadRequestError("the request body is not a JSON object");
  return body;
}

/** An integer query parameter, undefined when absent; a bad one is a BadRequest naming it. */
function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) throw new BadRequestError(`${name}: invalid value "${v}": must be an integer`);
  return Number(v);
}

function boolParam(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === "true" || v === "1";
}

export interface SubresourceContext {
  handlers: Handlers;
  streams: Set<AbortController>;
  ctx: RequestContext;
  info: KindInfo;
  path: ResourcePath;
  namespace: string;
  query: URLSearchParams;
}

/** PATCH of an object or of its status. */
export async function patchResource(c: SubresourceContext, req: SubresourceRequest, subresource: "" | "status"): Promise<SubresourceReply> {
  const type = patchTypeOf(req.headers["content-type"]);
  const patch = await readJson(req);
  const out = await c.handlers.patch(c.ctx, {
    kind: c.info.kind,
    namespace: c.namespace,
    name: c.path.name,
    type,
    patch,
    subresource,
    dryRun: c.query.get("dryRun") === "All",
  });
  return { code: 200, body: toK8s(c.info, out.object) };
}

function scaleJson(scale: Awaited<ReturnType<Handlers["getScale"]>>): JsonObject {
  const meta = scale.metadata;
  const metadata: JsonObject = { name: meta?.name ?? "", namespace: meta?.namespace ?? "", uid: meta?.uid ?? "", resourceVersion: meta?.resourceVersion ?? "" };
  if (meta?.creationTimestamp) metadata.creationTimestamp = meta.creationTimestamp;
  const spec: JsonObject = {};
  if (scale.spec?.replicas) spec.replicas = scale.spec.replicas;
  const status: JsonObject = { replicas: scale.status?.replicas ?? 0 };
  if (scale.status?.selector) status.selector = scale.status.selector;
  return { kind: "Scale", apiVersion: "autoscaling/v1", metadata, spec, status };
}

/** spec.replicas of a Scale body, and its resourceVersion (a precondition when set). */
function replicasOf(name: string, body: JsonObject): { replicas: number; resourceVersion: string } {
  const spec = isJsonObject(body.spec) ? body.spec : {};
  const replicas = spec.replicas ?? 0;
  if (typeof replicas !== "number" || !Number.isInteger(replicas)) throw new BadRequestError(`Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be an integer`);
  const meta = isJsonObject(body.metadata) ? body.metadata : {};
  return { replicas, resourceVersion: typeof meta.resourceVersion === "string" ? meta.resourceVersion : "" };
}

async function scale(c: SubresourceContext, req: SubresourceRequest, method: string): Promise<SubresourceReply> {
  const ref = { kind: c.info.kind, namespace: c.namespace, name: c.path.name };
  if (method === "GET") return { code: 200, body: scaleJson(await c.handlers.getScale(c.ctx, ref)) };
  if (method === "PUT") {
    const body = await readObject(req);
    return { code: 200, body: scaleJson(await c.handlers.updateScale(c.ctx, { ...ref, ...replicasOf(c.path.name, body) })) };
  }
  if (method === "PATCH") {
    const type = patchTypeOf(req.headers["content-type"]);
    const patch = await readJson(req);
    const current = scaleJson(await c.handlers.getScale(c.ctx, ref));
    let patched: JsonObject;
    try {
      // A Scale has no lists: a strategic merge patch of it is a merge patch.
      patched = type === "json" ? applyJsonPatch(current, patch) : applyMergePatch(current, patch);
    } catch (err) {
      if (err instanceof PatchError) throw patchFailure(c.info.kind, c.path.name, err);
      throw err;
    }
    // The patch's resourceVersion is a precondition only when the patch set one.
    const pinned = JSON.stringify(patch).includes("resourceVersion");
    const { replicas, resourceVersion } = replicasOf(c.path.name, patched);
    return { code: 200, body: scaleJson(await c.handlers.updateScale(c.ctx, { ...ref, replicas, resourceVersion: pinned ? resourceVersion : "" })) };
  }
  throw new MethodNotAllowedError(method, `${c.info.plural}/scale`);
}

async function status(c: SubresourceContext, req: SubresourceRequest, method: string): Promise<SubresourceReply> {
  if (method === "GET") {
    const out = await c.handlers.get(c.ctx, { kind: c.info.kind, namespace: c.namespace, name: c.path.name });
    return { code: 200, body: toK8s(c.info, out.object) };
  }
  if (method === "PATCH") return await patchResource(c, req, "status");
  throw new MethodNotAllowedError(method, `${c.info.plural}/status`);
}

async function binding(c: SubresourceContext, req: SubresourceRequest): Promise<SubresourceReply> {
  const body = await readObject(req);
  const target = isJsonObject(body.target) ? body.target : {};
  const meta = isJsonObject(body.metadata) ? body.metadata : {};
  if (typeof target.name !== "string" || !target.name) throw new BadRequestError(`Binding "${c.path.name}" is invalid: target.name: Required value`);
  await c.handlers.bind(c.ctx, { namespace: c.namespace, name: c.path.name, nodeName: target.name, uid: typeof meta.uid === "string" ? meta.uid : "" });
  return { code: 201, body: successStatus({}) };
}

async function eviction(c: SubresourceContext, req: SubresourceRequest): Promise<SubresourceReply> {
  const body = await readObject(req);
  const meta = isJsonObject(body.metadata) ? body.metadata : {};
  if (meta.name !== undefined && meta.name !== c.path.name) throw new BadRequestError(`name in URL does not match name in Eviction object`);
  const opts = isJsonObject(body.deleteOptions) ? body.deleteOptions : {};
  const grace = opts.gracePeriodSeconds;
  const pre = isJsonObject(opts.preconditions) ? opts.preconditions : {};
  const dryRun = Array.isArray(opts.dryRun) && opts.dryRun.includes("All");
  await c.handlers.evict(c.ctx, {
    namespace: c.namespace,
    name: c.path.name,
    gracePeriodSeconds: typeof grace === "number" ? grace : undefined,
    uid: typeof pre.uid === "string" ? pre.uid : undefined,
    dryRun,
  });
  return { code: 201, body: successStatus({ name: c.path.name, kind: "pods" }) };
}

/** The container's log, written as it comes (chunked); a failure before the first byte is a Status. */
async function log(c: SubresourceContext, res: StreamResponse): Promise<SubresourceReply> {
  const q = c.query;
  const tail = intParam(q, "tailLines");
  const since = intParam(q, "sinceSeconds");
  if (tail !== undefined && tail < 0) throw new BadRequestError("tailLines: Invalid value: must be greater than or equal to 0");
  if (since !== undefined && since < 1) throw new BadRequestError("sinceSeconds: Invalid value: must be greater than 0");
  const upstream = await c.handlers.logs(c.ctx, {
    namespace: c.namespace,
    pod: c.path.name,
    container: q.get("container") ?? "",
    follow: boolParam(q, "follow"),
    tailLines: tail,
    previous: boolParam(q, "previous"),
    timestamps: boolParam(q, "timestamps"),
    sinceSeconds: since,
  });
  const ac = new AbortController();
  c.streams.add(ac);
  res.once("close", () => ac.abort());
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    res.writeHead(200, { "content-type": "text/plain" });
  };
  try {
    await pipeStream<LogChunk>(
      upstream,
      (chunk) => {
        start();
        return res.write(chunk.data) !== false;
      },
      ac.signal,
      (cb) => res.once("drain", cb),
    );
  } catch (err) {
    if (!started) throw err;
  } finally {
    c.streams.delete(ac);
  }
  start();
  res.end();
  return "streamed";
}

export class MethodNotAllowedError extends BadRequestError {
  constructor(method: string, what: string) {
    super(`the server does not allow ${method} on ${what}`);
  }
  override get httpStatus(): number {
    return 405;
  }
}

/** A subresource request (`<plural>/<name>/<subresource>`). */
export async function subresource(c: SubresourceContext, req: SubresourceRequest, res: StreamResponse): Promise<SubresourceReply> {
  const method = req.method ?? "GET";
  const sub = c.path.subresource;
  const pod = c.info.kind === "Pod";
  if (sub === "status") return await status(c, req, method);
  if (sub === "scale" && (c.info.kind === "Deployment" || c.info.kind === "ReplicaSet")) return await scale(c, req, method);
  if (sub === "binding" && pod) {
    if (method !== "POST") throw new MethodNotAllowedError(method, "pods/binding");
    return await binding(c, req);
  }
  if (sub === "eviction" && pod) {
    if (method !== "POST") throw new MethodNotAllowedError(method, "pods/eviction");
    return await eviction(c, req);
  }
  if (sub === "log" && pod) {
    if (method !== "GET") throw new MethodNotAllowedError(method, "pods/log");
    return await log(c, res);
  }
  throw new NotFoundError(`the server could not find the requested resource (${c.info.plural}/${sub})`);
}
