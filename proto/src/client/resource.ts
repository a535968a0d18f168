// A typed client for one kind: create, get, list, update, updateStatus, patch, delete and watch.
import { randomUUID } from "node:crypto";
import type { Object as ApiObject, WatchRequest } from "../gen/mk/v1/api.js";
import { type KindName, type KindTypes, KINDS, unwrapAs, wrap } from "../api/kinds.js";
import type { CallOpts, Caller } from "./call.js";
import { AlreadyExistsError, InternalError, NotFoundError } from "./errors.js";

export interface ListOptions {
  /** Empty or absent: every namespace. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult<T> {
  items: T[];
  /** The version of the list as a whole: watch from it to see every change after the list. */
  resourceVersion: string;
  continue: string;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

export interface TypedWatchEvent<T> {
  type: WatchEventType;
  object: T;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Events strictly after this version; absent: the current objects first, as ADDED. */
  resourceVersion?: string;
  allowBookmarks?: boolean;
  signal?: AbortSignal;
}

export type PropagationPolicy = "Background" | "Foreground" | "Orphan";

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult<T> {
  /** The object as removed, or as it stands while deletion is pending. */
  object: T | undefined;
  /** true: deletionTimestamp is set and the object is still there (kubelet, finalizers). */
  pending: boolean;
}

export class ResourceClient<K extends KindName> {
  readonly kind: K;
  private readonly cs: Caller;

  constructor(cs: Caller, kind: K) {
    this.cs = cs;
    this.kind = kind;
  }

  private out(o: ApiObject): KindTypes[K] {
    const obj = unwrapAs(this.kind, o);
    if (!obj) throw new InternalError(`the API server answered with an object that is not a ${this.kind}`);
    return obj;
  }

  /**
   * Creates the object. Every attempt carries one request id, which the API server makes the new
   * object's uid: when an attempt's answer was lost (the server died, the deadline passed) and a
   * retry finds AlreadyExists, the object is read back and, if its uid is that id, it is ours and the
   * create is done. A create with generateName is not retried (a re-sent one would make a second name).
   */
  async create(obj: KindTypes[K], opts: CallOpts & { dryRun?: boolean } = {}): Promise<KindTypes[K]> {
    const retry = opts.retry ?? !obj.metadata?.generateName;
    const requestId = randomUUID();
    let attempts = 0;
    try {
      const res = await this.cs.unary(this.cs.raw.create, { object: wrap(this.kind, obj), dryRun: opts.dryRun ?? false }, { ...opts, retry, requestId, onAttempt: () => attempts++ });
      return this.out(res);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError) || attempts < 2 || opts.dryRun) throw err;
      const mine = await this.get(obj.metadata?.name ?? "", obj.metadata?.namespace ?? "", { signal: opts.signal }).catch(() => undefined);
      if (mine?.metadata?.uid === requestId) return mine;
      throw err;
    }
  }

  async get(name: string, namespace = "", opts: CallOpts = {}): Promise<KindTypes[K]> {
    const res = await this.cs.unary(this.cs.raw.get, { kind: this.kind, namespace, name }, opts);
    return this.out(res);
  }

  async list(opts: ListOptions & CallOpts = {}): Promise<ListResult<KindTypes[K]>> {
    const res = await this.cs.unary(
      this.cs.raw.list,
      {
        kind: this.kind,
        namespace: opts.namespace ?? "",
        labelSelector: opts.labelSelector ?? "",
        fieldSelector: opts.fieldSelector ?? "",
        limit: opts.limit ?? 0,
        continue: opts.continue ?? "",
      },
      opts,
    );
    return {
      items: res.items.map((o) => this.out(o)),
      resourceVersion: res.metadata?.resourceVersion ?? "",
      continue: res.metadata?.continue ?? "",
    };
  }

  /** Fails with ConflictError when metadata.resourceVersion is stale (empty: unconditional). */
  async update(obj: KindTypes[K], opts: CallOpts & { dryRun?: boolean } = {}): Promise<KindTypes[K]> {
    const res = await this.cs.unary(this.cs.raw.update, { object: wrap(this.kind, obj), dryRun: opts.dryRun ?? false }, opts);
    return this.out(res);
  }

  async updateStatus(obj: KindTypes[K], opts: CallOpts = {}): Promise<KindTypes[K]> {
    const res = await this.cs.unary(this.cs.raw.updateStatus, { object: wrap(this.kind, obj), dryRun: false }, opts);
    return this.out(res);
  }

  /**
   * Applies a patch (json, merge or strategic; the document in Kubernetes' JSON) to the stored object
   * or, with subresource "status", to its status; returns the object as written.
   */
  async patch(name: string, namespace: string, type: "json" | "merge" | "strategic", patch: unknown, opts: CallOpts & { dryRun?: boolean; subresource?: "" | "status" } = {}): Promise<KindTypes[K]> {
    const bytes = Buffer.from(JSON.stringify(patch), "utf8");
    const req = { kind: this.kind, namespace, name, type, patch: bytes, dryRun: opts.dryRun ?? false, subresource: opts.subresource ?? "" };
    const res = await this.cs.unary(this.cs.raw.patch, req, opts);
    return this.out(res);
  }

  /** Deletes the object; a retry that finds it gone (an earlier attempt's answer was lost) is done. */
  async delete(name: string, namespace = "", opts: DeleteOptions & CallOpts = {}): Promise<DeleteResult<KindTypes[K]>> {
    let attempts = 0;
    const res = await this.cs.unary(
      this.cs.raw.delete,
      {
        kind: this.kind,
        namespace,
        name,
        gracePeriodSeconds: opts.gracePeriodSeconds,
        propagationPolicy: opts.propagationPolicy ?? "",
        preconditions: opts.preconditions,
        dryRun: opts.dryRun ?? false,
      },
      { ...opts, onAttempt: () => attempts++ },
    ).catch((err: unknown) => {
      if (err instanceof NotFoundError && attempts > 1 && !opts.dryRun) return undefined;
      throw err;
    });
    if (!res) return { object: undefined, pending: false };
    return { object: res.object ? unwrapAs(this.kind, res.object) : undefined, pending: res.pending };
  }

  /**
   * Streams changes. Ends with ExpiredError when resourceVersion is older than etcd keeps
   * (relist then), with UnavailableError when the connection is lost, quietly when signal aborts.
   */
  async *watch(opts: WatchOptions = {}): AsyncGenerator<TypedWatchEvent<KindTypes[K]>> {
    const req: WatchRequest = {
      kind: this.kind,
      namespace: opts.namespace ?? "",
      labelSelector: opts.labelSelector ?? "",
      fieldSelector: opts.fieldSelector ?? "",
      resourceVersion: opts.resourceVersion ?? "",
      allowBookmarks: opts.allowBookmarks ?? false,
    };
    for await (const ev of this.cs.stream(() => this.cs.raw.watch(req), opts.signal)) {
      const object = unwrapAs(this.kind, ev.object) ?? KINDS[this.kind].codec.fromPartial({} as KindTypes[K]);
      yield { type: ev.type as WatchEventType, object };
    }
  }
}
