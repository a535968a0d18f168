// The API's operations, apart from any transport: each handler authorizes its request (once, for
// every edge), then calls the registry, whose store applies the kind's strategy (defaults and
// validation: admission) on every write. Edges (service/grpc today, an HTTP edge later) only decode
// requests into these calls and map the typed errors they throw to their own statuses.
import type { ClientReadableStream } from "@grpc/grpc-js";
import {
  type DeleteRequest,
  type ExecOutput,
  type ExecRequest,
  isKindName,
  type KindName,
  type KindTypes,
  KINDS,
  type ListRequest,
  type LogChunk,
  type LogsRequest,
  type BindRequest,
  type Pod,
  type Scale,
  type ScaleRequest,
  type Unwrapped,
  type UpdateScaleRequest,
  type VersionInfo,
  type WatchRequest,
} from "@mk/proto";
import { isPatchType, type Json, Schema } from "@mk/proto/api";
import { BadRequestError, InvalidError } from "@mk/proto/client";
import type { Decision, RequestAttributes, Verb } from "../auth/authorizer.js";
import { bindPod } from "../registry/bind.js";
import { type DeleteOutcome, deleteObject } from "../registry/deletion.js";
import { parseFieldSelector } from "../registry/fields.js";
import { patchObject } from "../registry/patch.js";
import { getScale, scalableKind, updateScale } from "../registry/scale.js";
import type { Store } from "../registry/store.js";
import type { KubeletProxy } from "../service/proxy.js";
import type { WatchHub } from "../watch/hub.js";
import { startWatch, type WatchSink } from "../watch/session.js";
import type { RequestAuthorizer } from "./authorization.js";
import type { RequestContext } from "./context.js";

export interface HandlerDeps {
  store: Store;
  hub: WatchHub;
  proxy: KubeletProxy;
  authorizer: RequestAuthorizer;
  bookmarkIntervalMs: number;
  version(): Promise<VersionInfo>;
  /** Counts the evictions received (mk_apiserver_pod_evictions_total); absent in tests that do not read it. */
  evictions?: { inc(labels: { outcome: string }): void } | undefined;
}

/** A write of a whole object (Create, Update, UpdateStatus); `object` is undefined when none was sent. */
export interface ObjectRequest {
  object: Unwrapped | undefined;
  dryRun: boolean;
}

/** A patch of one object (or of its status), whatever edge it came through. */
export interface PatchObjectRequest {
  kind: string;
  namespace: string;
  name: string;
  /** json, merge or strategic. */
  type: string;
  /** The patch document, parsed. */
  patch: Json;
  /** "" for the object, "status" for its status subresource. */
  subresource: string;
  dryRun: boolean;
}

export interface ListResult<K extends KindName = KindName> {
  kind: K;
  items: KindTypes[K][];
  revision: string;
  continue: string;
}

function kindOf(kind: string): KindName {
  if (!isKindName(kind)) throw new BadRequestError(`the server doesn't have a resource type "${kind}"`);
  return kind;
}

function objectOf(o: Unwrapped | undefined): Unwrapped {
  if (!o) throw new InvalidError("object: Required value: the request carries no object", [{ field: "object", type: "Required", detail: "the request carries no object" }]);
  return o;
}

/** What a whole-object request asks for: its object's kind, namespace (defaulted as the store will) and name. */
function objectAttributes(verb: Verb, o: Unwrapped | undefined): RequestAttributes {
  if (!o) return { verb, kind: "", namespace: "", name: "" };
  const meta = o.object.metadata;
  return { verb, kind: o.kind, namespace: meta?.namespace || (KINDS[o.kind].namespaced ? "default" : ""), name: meta?.name ?? "" };
}

/**
 * The one object a list or watch is limited to by `metadata.name=NAME` in its field selector, or ""
 * (Kubernetes' request info does the same, so that a node may watch the one Secret it may read). A
 * selector that does not parse gives "": the store refuses it after authorization.
 */
function selectedName(kind: string, fieldSelector: string): string {
  if (!isKindName(kind) || !fieldSelector) return "";
  try {
    return parseFieldSelector(kind, fieldSelector).requirements.find((r) => r.field === "metadata.name" && r.equal)?.value ?? "";
  } catch {
    // Not this function's to report: the store's list refuses the selector with its reason.
    return "";
  }
}

export class Handlers {
  private readonly store: Store;
  private readonly schema = Schema.load();

  constructor(private readonly deps: HandlerDeps) {
    this.store = deps.store;
  }

  private authorize(ctx: RequestContext, attrs: RequestAttributes): Promise<void> {
    return this.deps.authorizer.check(ctx, attrs);
  }

  /** Would the requester be allowed this (a SelfSubjectAccessReview)? `undefined`: a verb mk has no rule for. */
  reviewAccess(ctx: RequestContext, attrs: RequestAttributes | undefined): Promise<Decision> {
    return this.deps.authorizer.decide(ctx, attrs);
  }

  async create(ctx: RequestContext, req: ObjectRequest): Promise<Unwrapped> {
    await this.authorize(ctx, objectAttributes("create", req.object));
    const { kind, object } = objectOf(req.object);
    return { kind, object: await this.store.create(kind, object, req.dryRun, ctx.requestId) } as Unwrapped;
  }

  async get(ctx: RequestContext, req: { kind: string; namespace: string; name: string }): Promise<Unwrapped> {
    await this.authorize(ctx, { verb: "get", kind: req.kind, namespace: req.namespace, name: req.name });
    const kind = kindOf(req.kind);
    return { kind, object: await this.store.get(kind, req.namespace, req.name) } as Unwrapped;
  }

  async list(ctx: RequestContext, req: ListRequest): Promise<ListResult> {
    await this.authorize(ctx, { verb: "list", kind: req.kind, namespace: req.namespace, name: selectedName(req.kind, req.fieldSelector) });
    const kind = kindOf(req.kind);
    const page = await this.store.list(kind, req);
    return { kind, items: page.items, revision: page.revision, continue: page.continue };
  }

  async update(ctx: RequestContext, req: ObjectRequest): Promise<Unwrapped> {
    await this.authorize(ctx, objectAttributes("update", req.object));
    const { kind, object } = objectOf(req.object);
    return { kind, object: await this.store.update(kind, object, { dryRun: req.dryRun, statusOnly: false }) } as Unwrapped;
  }

  async updateStatus(ctx: RequestContext, req: ObjectRequest): Promise<Unwrapped> {
    await this.authorize(ctx, objectAttributes("updatestatus", req.object));
    const { kind, object } = objectOf(req.object);
    return { kind, object: await this.store.update(kind, object, { dryRun: req.dryRun, statusOnly: true }) } as Unwrapped;
  }

  /** Patches an object; authorized as the update (or status update) it is. */
  async patch(ctx: RequestContext, req: PatchObjectRequest): Promise<Unwrapped> {
    const statusOnly = req.subresource === "status";
    if (req.subresource !== "" && !statusOnly) throw new BadRequestError(`the server cannot patch the subresource "${req.subresource}"`);
    const kind = kindOf(req.kind);
    const namespace = this.store.namespaceFor(kind, req.namespace);
    await this.authorize(ctx, { verb: statusOnly ? "updatestatus" : "update", kind, namespace, name: req.name });
    if (!isPatchType(req.type)) throw new BadRequestError(`unsupported patch type "${req.type}": must be json, merge or strategic`);
    const object = await patchObject(this.store, this.schema, kind, namespace, req.name, { type: req.type, patch: req.patch, statusOnly, dryRun: req.dryRun });
    return { kind, object } as Unwrapped;
  }

  async delete(ctx: RequestContext, req: DeleteRequest): Promise<{ kind: KindName } & DeleteOutcome<KindName>> {
    await this.authorize(ctx, { verb: "delete", kind: req.kind, namespace: req.namespace, name: req.name });
    const kind = kindOf(req.kind);
    const out = await deleteObject(this.store, kind, req.namespace, req.name, {
      gracePeriodSeconds: req.gracePeriodSeconds,
      propagationPolicy: req.propagationPolicy,
      preconditions: req.preconditions,
      dryRun: req.dryRun,
    });
    return { kind, ...out };
  }

  /**
   * The pod's eviction (policy/v1 Eviction, what `kubectl drain` posts): a graceful delete, since mk
   * has no PodDisruptionBudgets that could refuse it. Authorized as the delete it is.
   */
  async evict(ctx: RequestContext, req: { namespace: string; name: string; gracePeriodSeconds: number | undefined; uid: string | undefined; dryRun: boolean }): Promise<void> {
    const namespace = req.namespace || "default";
    try {
      await this.delete(ctx, {
        kind: "Pod",
        namespace,
        name: req.name,
        gracePeriodSeconds: req.gracePeriodSeconds,
        propagationPolicy: "",
        preconditions: req.uid ? { uid: req.uid, resourceVersion: undefined } : undefined,
        dryRun: req.dryRun,
      });
    } catch (err) {
      this.deps.evictions?.inc({ outcome: "refused" });
      throw err;
    }
    this.deps.evictions?.inc({ outcome: "evicted" });
  }

  /**
   * Streams the watch's events to `sink` until `signal` aborts (resolves) or the watch fails (rejects).
   * `sink.started` is called once the watch is set up (an HTTP edge then sends its headers).
   */
  async watch(ctx: RequestContext, req: WatchRequest, sink: Pick<WatchSink, "write"> & { started?(): void }, signal: AbortSignal): Promise<void> {
    await this.authorize(ctx, { verb: "watch", kind: req.kind, namespace: req.namespace, name: selectedName(req.kind, req.fieldSelector) });
    await new Promise<void>((resolve, reject) => {
      startWatch(
        { store: this.store, hub: this.deps.hub, bookmarkIntervalMs: this.deps.bookmarkIntervalMs },
        req,
        { write: (ev) => sink.write(ev), end: (err) => (err ? reject(err) : resolve()) },
        signal,
      ).then(() => sink.started?.(), reject);
    });
  }

  async bind(ctx: RequestContext, req: BindRequest): Promise<Pod> {
    await this.authorize(ctx, { verb: "bind", kind: "Pod", namespace: req.namespace || "default", name: req.name });
    return await bindPod(this.store, req);
  }

  async getScale(ctx: RequestContext, req: ScaleRequest): Promise<Scale> {
    await this.authorize(ctx, { verb: "get", kind: req.kind, namespace: req.namespace, name: req.name });
    return await getScale(this.store, scalableKind(req.kind), req.namespace, req.name);
  }

  async updateScale(ctx: RequestContext, req: UpdateScaleRequest): Promise<Scale> {
    await this.authorize(ctx, { verb: "scale", kind: req.kind, namespace: req.namespace, name: req.name });
    return await updateScale(this.store, scalableKind(req.kind), req);
  }

  /** The kubelet's log stream of the pod's container, for the edge to relay. */
  async logs(ctx: RequestContext, req: LogsRequest): Promise<ClientReadableStream<LogChunk>> {
    await this.authorize(ctx, { verb: "logs", kind: "Pod", namespace: req.namespace || "default", name: req.pod });
    const client = await this.deps.proxy.clientFor(req.namespace || "default", req.pod, req.container);
    return client.logs(req);
  }

  /** The kubelet's output stream of a command run in the pod's container, for the edge to relay. */
  async exec(ctx: RequestContext, req: ExecRequest): Promise<ClientReadableStream<ExecOutput>> {
    await this.authorize(ctx, { verb: "exec", kind: "Pod", namespace: req.namespace || "default", name: req.pod });
    const client = await this.deps.proxy.clientFor(req.namespace || "default", req.pod, req.container);
    return client.exec(req);
  }

  async version(ctx: RequestContext): Promise<VersionInfo> {
    await this.authorize(ctx, { verb: "version", kind: "", namespace: "", name: "" });
    return await this.deps.version();
  }
}
