// A typed client for one kind: create, get, list, update, updateStatus, patch, delete and watch.
import { randomUUID } from "node:crypto";
import type { Object as ApiObject, WatchRequest } from "../gen/mk/v1/api.js";
import { type Codec, type KindName, type KindTypes, KINDS, unwrapAs, wrap } from "../api/kinds.js";
import type { CallOpts, Caller } from "./call.js";
import { AlreadyExistsError, ConflictError, InternalError, NotFoundError, UnavailableError } from "./errors.js";

/** Whether `stored` holds what `sent` wrote: equal once the server's own fields (and the part the call does not write) are set aside. */
export function sameWrite<T>(codec: Codec<T>, part: "update" | "status", sent: T, stored: T): boolean {
  const view = (o: T) => {
    const j = codec.toJSON(o) as { metadata?: Record<string, unknown>; status?: unknown; [k: string]: unknown };
    if (part === "status") return { status: j.status };
    const { resourceVersion: _rv, generation: _g, managedFields: _m, ...meta } = j.metadata ?? {};
    const { status: _s, ...rest } = j;
    return { ...rest, metadata: meta };
  };
  return canonical(view(sent)) === canonical(view(stored));
}

/** JSON with object keys sorted (map order is not part of an object's value). */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

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

  /**
   * Fails with ConflictError when metadata.resourceVersion is stale (empty: unconditional). A retry
   * after a lost answer can meet the version the lost attempt itself wrote: see `conditional`.
   */
  async update(obj: KindTypes[K], opts: CallOpts & { dryRun?: boolean } = {}): Promise<KindTypes[K]> {
    return await this.conditional("update", obj, opts, (o) => this.cs.unary(this.cs.raw.update, { object: wrap(this.kind, obj), dryRun: opts.dryRun ?? false }, o));
  }

  async updateStatus(obj: KindTypes[K], opts: CallOpts = {}): Promise<KindTypes[K]> {
    return await this.conditional("status", obj, opts, (o) => this.cs.unary(this.cs.raw.updateStatus, { object: wrap(this.kind, obj), dryRun: false }, o));
  }

  /**
   * An update with a resourceVersion, retried after a lost answer (the server applied it, then died
   * or the deadline passed), meets the version that attempt wrote and fails with a conflict that is
   * with itself: reported as a Conflict, a read-modify-write caller would re-read, see its own
   * change, and apply its change again (a toggle undone; the chaos suite's lost-object checker saw
   * it). So a conflict after a retry is read back: the object holding what was sent (the part the
   * call writes: all but status, or status alone) is ours and the update is done; anything else is
   * an UnavailableError saying the outcome is unknown, which the caller must treat as such.
   */
  private async conditional(part: "update" | "status", obj: KindTypes[K], opts: CallOpts & { dryRun?: boolean }, call: (o: CallOpts) => Promise<ApiObject>): Promise<KindTypes[K]> {
    let attempts = 0;
    try {
      return this.out(await call({ ...opts, onAttempt: () => attempts++ }));
    } catch (err) {
      if (!(err instanceof ConflictError) || attempts < 2 || opts.dryRun || !obj.metadata?.resourceVersion) throw err;
      const now = await this.get(obj.metadata.name, obj.metadata.namespace, { signal: opts.signal }).catch(() => undefined);
      if (now && sameWrite(KINDS[this.kind].codec, part, obj, now)) return now;
      throw new UnavailableError(`the ${part === "status" ? "status update" : "update"}'s answer was lost and its retry met a newer version: it may or may not have been applied (${err.message})`, {
        cause: err,
      });
    }
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
