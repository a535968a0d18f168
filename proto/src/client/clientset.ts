// The typed client: one ResourceClient per kind plus the subresources (bind, scale, logs, exec).
// Every call goes through `unary` or `stream`, where gRPC errors become typed ApiErrors (once).
import { type ClientReadableStream, Metadata } from "@grpc/grpc-js";
import type {
  AccessReviewRequest,
  AccessReviewResponse,
  ExecOutput,
  ExecRequest,
  LogChunk,
  LogsRequest,
  ResourcesClient,
  VersionInfo,
} from "../gen/mk/v1/api.js";
import type { Scale } from "../gen/mk/v1/apps.js";
import type { Pod } from "../gen/mk/v1/core.js";
import type { KindName } from "../api/kinds.js";
import type { CallOpts, Caller, UnaryMethod } from "./call.js";
import { ApiError, fromServiceError, REQUEST_ID_HEADER } from "./errors.js";
import { ResourceClient } from "./resource.js";
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from "./retry.js";

export interface ClientsetOptions {
  timeoutMs: number;
  retry?: Partial<RetryPolicy> | undefined;
}

// Its home is call.ts; exported here too, where callers have always found it.
export type { CallOpts } from "./call.js";

export class Clientset implements Caller {
  readonly raw: ResourcesClient;
  readonly namespaces: ResourceClient<"Namespace">;
  readonly nodes: ResourceClient<"Node">;
  readonly pods: ResourceClient<"Pod">;
  readonly replicaSets: ResourceClient<"ReplicaSet">;
  readonly deployments: ResourceClient<"Deployment">;
  readonly leases: ResourceClient<"Lease">;
  readonly events: ResourceClient<"Event">;
  readonly services: ResourceClient<"Service">;
  readonly endpoints: ResourceClient<"Endpoints">;
  readonly endpointSlices: ResourceClient<"EndpointSlice">;
  private readonly timeoutMs: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly clients = new Map<KindName, ResourceClient<KindName>>();

  constructor(raw: ResourcesClient, options: ClientsetOptions) {
    this.raw = raw;
    this.timeoutMs = options.timeoutMs;
    this.retryPolicy = { ...DEFAULT_RETRY, ...options.retry };
    this.namespaces = this.resource("Namespace");
    this.nodes = this.resource("Node");
    this.pods = this.resource("Pod");
    this.replicaSets = this.resource("ReplicaSet");
    this.deployments = this.resource("Deployment");
    this.leases = this.resource("Lease");
    this.events = this.resource("Event");
    this.services = this.resource("Service");
    this.endpoints = this.resource("Endpoints");
    this.endpointSlices = this.resource("EndpointSlice");
  }

  /** The client for any kind, e.g. from a manifest's `kind:`. */
  resource<K extends KindName>(kind: K): ResourceClient<K> {
    let c = this.clients.get(kind);
    if (!c) {
      c = new ResourceClient<KindName>(this, kind);
      this.clients.set(kind, c);
    }
    return c as unknown as ResourceClient<K>;
  }

  /** Calls a unary method with the deadline, cancellation, typed errors and UNAVAILABLE retries. */
  unary<Q, R>(method: UnaryMethod<Q, R>, request: Q, opts: CallOpts = {}): Promise<R> {
    const once = () =>
      new Promise<R>((resolve, reject) => {
        if (opts.signal?.aborted) {
          reject(opts.signal.reason);
          return;
        }
        opts.onAttempt?.();
        const deadline = new Date(Date.now() + (opts.timeoutMs ?? this.timeoutMs));
        const metadata = new Metadata();
        if (opts.requestId) metadata.set(REQUEST_ID_HEADER, opts.requestId);
        const call = method.call(this.raw, request, metadata, { deadline }, (err, res) => {
          opts.signal?.removeEventListener("abort", onAbort);
          if (err) reject(fromServiceError(err));
          else resolve(res);
        }) as { cancel(): void };
        const onAbort = () => call.cancel();
        opts.signal?.addEventListener("abort", onAbort, { once: true });
      });
    if (opts.retry === false) return once();
    return withRetry(this.retryPolicy, once);
  }

  /** Reads a server stream as an async iterable; ends quietly when the signal aborts it. */
  async *stream<T>(open: () => ClientReadableStream<T>, signal?: AbortSignal): AsyncGenerator<T> {
    if (signal?.aborted) return;
    const call = open();
    const onAbort = () => call.cancel();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const msg of call) {
        yield msg as T;
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw fromServiceError(err);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      call.cancel();
    }
  }

  /** Assigns a pod to a node, atomically: fails (BadRequest) when it is already bound. */
  bind(namespace: string, name: string, nodeName: string, uid = "", opts: CallOpts = {}): Promise<Pod> {
    return this.unary(this.raw.bind, { namespace, name, nodeName, uid }, opts);
  }

  getScale(kind: "Deployment" | "ReplicaSet", namespace: string, name: string, opts: CallOpts = {}): Promise<Scale> {
    return this.unary(this.raw.getScale, { kind, namespace, name }, opts);
  }

  updateScale(
    kind: "Deployment" | "ReplicaSet",
    namespace: string,
    name: string,
    replicas: number,
    resourceVersion = "",
    opts: CallOpts = {},
  ): Promise<Scale> {
    return this.unary(this.raw.updateScale, { kind, namespace, name, replicas, resourceVersion }, opts);
  }

  logs(request: Partial<LogsRequest> & { namespace: string; pod: string }, signal?: AbortSignal): AsyncGenerator<LogChunk> {
    const req: LogsRequest = { container: "", follow: false, previous: false, timestamps: false, ...request };
    return this.stream(() => this.raw.logs(req), signal);
  }

  exec(request: Partial<ExecRequest> & { namespace: string; pod: string; command: string[] }, signal?: AbortSignal): AsyncGenerator<ExecOutput> {
    const req: ExecRequest = { container: "", stdin: Buffer.alloc(0), ...request };
    return this.stream(() => this.raw.exec(req), signal);
  }

  version(opts: CallOpts = {}): Promise<VersionInfo> {
    return this.unary(this.raw.version, {}, opts);
  }

  /** May the caller itself do this (a SelfSubjectAccessReview)? Answered by the server's authorizer. */
  accessReview(request: Partial<AccessReviewRequest> & { verb: string }, opts: CallOpts = {}): Promise<AccessReviewResponse> {
    const req: AccessReviewRequest = { group: "", resource: "", subresource: "", namespace: "", name: "", path: "", ...request };
    return this.unary(this.raw.accessReview, req, opts);
  }

  close(): void {
    this.raw.close();
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}
