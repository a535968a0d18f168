// The generic registry: create, get, list, update and updateStatus for every kind, with the
// kind's strategy for defaults and validation, and guaranteedUpdate, the one read-modify-write that
// every change of a stored object goes through (update, status, scale, bind, delete). What the
// server owns in metadata (uid, creationTimestamp, generation, deletionTimestamp) is set here,
// whatever the client sent.
import { randomUUID } from "node:crypto";
import { type AnyObject, type KindName, type KindTypes, KINDS, metaOf, type ObjectMeta, parseSelector, SelectorParseError, type Selector } from "@mk/proto";
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError, PreconditionFailedError } from "@mk/proto/client";
import type { EtcdStorage } from "../storage/etcd.js";
import { resourceName } from "../storage/keys.js";
import { type FieldSelector, parseFieldSelector } from "./fields.js";
import type { NamespaceCache } from "./namespaces.js";
import { STRATEGIES } from "./strategies.js";
import { partsOf, type Strategy, type StrategyTable, type UpdateOperation } from "./strategy.js";
import { deepEqual, type Errors, forbidden, throwIfInvalid, validateObjectMeta } from "./validation.js";

export interface StoreOptions {
  storage: EtcdStorage;
  namespaces: NamespaceCache;
  /** Events expire this long after their last write (an etcd lease). */
  eventTtlSeconds: number;
  now?: () => Date;
  /** Defaults and validation of each kind; tests swap in a strategy that rejects. Default STRATEGIES. */
  strategies?: StrategyTable | undefined;
  /** What objects hold beyond themselves (a Service's ClusterIP and node ports). Default: nothing. */
  allocations?: Allocations | undefined;
}

/** What one write took from the allocators: kept once the object is written, given back if not. */
export interface Reservation {
  /** The write succeeded: give back what the old object held and the new one does not. */
  commit(): Promise<void>;
  /** The write failed: give back what was taken for it. */
  abort(): Promise<void>;
}

/** The allocators a kind's objects hold: taken (and filled in) before a write, released when the object goes. */
export interface Allocations {
  /** Takes what `next` needs that `old` (undefined on create) did not hold; InvalidError naming the field. */
  reserve(kind: KindName, next: AnyObject, old: AnyObject | undefined, dryRun: boolean): Promise<Reservation>;
  release(kind: KindName, obj: AnyObject): Promise<void>;
}

const NO_ALLOCATIONS: Allocations = {
  reserve: async () => ({ commit: async () => {}, abort: async () => {} }),
  release: async () => {},
};

/**
 * How often guaranteedUpdate tries before a lost race is the answer. kube-apiserver has no cap (the
 * request's deadline bounds it); 20 was too few: 8 writers each sending 4 unconditional updates of one
 * object can leave one writer losing 20 rounds in a row (each round has one winner), seen once in CI.
 */
const MAX_UPDATE_ATTEMPTS = 200;

/** What a guaranteedUpdate wrote: the object as stored, or as it was when removed. */
export interface UpdateOutcome<K extends KindName> {
  object: KindTypes[K];
  removed: boolean;
}

/** Returned by a tryUpdate to delete the object now (compare-and-swap on the read resourceVersion). */
export class Removal<K extends KindName> {
  constructor(readonly object: KindTypes[K]) {}
}

/** The client's resourceVersion, when it sent one, must be the stored one: else a ConflictError. */
export function checkResourceVersion(kind: KindName, sent: string, stored: KindTypes[KindName]): void {
  const meta = metaOf(stored);
  if (sent && sent !== meta.resourceVersion) {
    throw new ConflictError(
      `Operation cannot be fulfilled on ${resourceName(kind)} "${meta.name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
  }
}

/** The client's uid precondition, when it sent one, must be the stored object's. */
export function checkUid(sent: string | undefined, stored: string): void {
  if (sent && sent !== stored) throw new PreconditionFailedError(`Precondition failed: UID in precondition: ${sent}, UID in object meta: ${stored}`);
}

export interface ListOpts {
  namespace: string;
  labelSelector: string;
  fieldSelector: string;
  limit: number;
  continue: string;
}

/** RFC 3339 to the second, as Kubernetes' metav1.Time. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "Z");
}

const ALNUM = "bcdfghjklmnpqrstvwxz2456789";

/** Five random characters, as Kubernetes' generateName (no vowels, so no words). */
export function randomSuffix(): string {
  let s = "";
  for (let i = 0; i < 5; i++) s += ALNUM[Math.floor(Math.random() * ALNUM.length)];
  return s;
}

/** Parses the selectors of a list or watch; a bad one is an InvalidError naming it. */
export function parseSelectors(kind: KindName, labelSelector: string, fieldSelector: string): { labels: Selector; fields: FieldSelector } {
  let labels: Selector;
  try {
    labels = parseSelector(labelSelector);
  } catch (err) {
    if (!(err instanceof SelectorParseError)) throw err;
    throw new InvalidError(`invalid label selector "${labelSelector}": ${err.message}`, [
      { field: "labelSelector", type: "Invalid", value: JSON.stringify(labelSelector), detail: err.message },
    ]);
  }
  return { labels, fields: parseFieldSelector(kind, fieldSelector) };
}

export class Store {
  readonly storage: EtcdStorage;
  readonly namespaces: NamespaceCache;
  readonly eventTtlSeconds: number;
  readonly now: () => Date;
  private readonly strategies: StrategyTable;
  private readonly allocations: Allocations;

  constructor(options: StoreOptions) {
    this.strategies = options.strategies ?? STRATEGIES;
    this.allocations = options.allocations ?? NO_ALLOCATIONS;
    this.storage = options.storage;
    this.namespaces = options.namespaces;
    this.eventTtlSeconds = options.eventTtlSeconds;
    this.now = options.now ?? (() => new Date());
  }

  strategyOf<K extends KindName>(kind: K): Strategy<K> {
    return this.strategies[kind];
  }

  ttlOf(kind: KindName): number | undefined {
    return kind === "Event" ? this.eventTtlSeconds : undefined;
  }

  /** The namespace a request addresses: "default" when a namespaced kind's is empty, "" otherwise. */
  namespaceFor(kind: KindName, namespace: string): string {
    return KINDS[kind].namespaced ? namespace || "default" : "";
  }

  async get<K extends KindName>(kind: K, namespace: string, name: string): Promise<KindTypes[K]> {
    const ns = this.namespaceFor(kind, namespace);
    const obj = await this.storage.get(kind, ns, name);
    if (!obj) throw new NotFoundError(`${resourceName(kind)} "${name}" not found`);
    return obj;
  }

  async list<K extends KindName>(kind: K, opts: ListOpts): Promise<{ items: KindTypes[K][]; revision: string; continue: string }> {
    const { labels, fields } = parseSelectors(kind, opts.labelSelector, opts.fieldSelector);
    const ns = KINDS[kind].namespaced ? opts.namespace : "";
    const page = await this.storage.list(kind, ns, { limit: opts.limit, continue: opts.continue });
    const items = labels.empty() && fields.requirements.length === 0 ? page.items : page.items.filter((o) => labels.matches(o.metadata?.labels) && fields.matches(o));
    return { items, revision: page.revision, continue: page.continue };
  }

  /** Defaults, validates and writes a new object (nothing is written on dryRun or any error). */
  async create<K extends KindName>(kind: K, obj: KindTypes[K], dryRun: boolean, uid?: string): Promise<KindTypes[K]> {
    const strategy = this.strategyOf(kind);
    const info = KINDS[kind];
    const meta = metaOf(obj);
    meta.namespace = this.namespaceFor(kind, meta.namespace);
    const generated = !meta.name && !!meta.generateName;
    if (generated) meta.name = meta.generateName + randomSuffix();
    // The client's request id when it sent one (handlers/context.ts), so a re-sent create can tell its own object.
    meta.uid = uid ?? randomUUID();
    meta.creationTimestamp = timestamp(this.now());
    meta.generation = 1;
    meta.resourceVersion = "";
    meta.deletionTimestamp = "";
    meta.deletionGracePeriodSeconds = undefined;
    const parts = partsOf(obj);
    parts.apiVersion = info.apiVersion;
    parts.kind = info.kind;
    strategy.prepareForCreate(obj);
    strategy.defaults(obj);
    const errs: Errors = [];
    validateObjectMeta(kind, meta, strategy.nameRule, errs);
    errs.push(...strategy.validate(obj));
    throwIfInvalid(kind, meta.name || meta.generateName, errs);
    if (info.namespaced) await this.namespaces.assertWritable(meta.namespace, resourceName(kind), meta.name);
    const reservation = await this.allocations.reserve(kind, obj, undefined, dryRun);
    if (dryRun) return obj;
    for (let attempt = 0; ; attempt++) {
      try {
        const created = await this.storage.create(kind, obj, { ttlSeconds: this.ttlOf(kind) });
        if (kind === "Namespace") this.namespaces.observe(created as KindTypes["Namespace"]);
        return created;
      } catch (err) {
        // A generated name that is taken: draw another, as Kubernetes does a few times.
        if (err instanceof AlreadyExistsError && generated && attempt < 5) {
          meta.name = meta.generateName + randomSuffix();
          continue;
        }
        await reservation.abort();
        throw err;
      }
    }
  }

  /**
   * Replaces an object. metadata.resourceVersion, when set, must be the stored one (else
   * ConflictError); when empty the update is unconditional (guaranteedUpdate repeats it on a race).
   * Status is kept from the stored object for kinds with a status subresource; with statusOnly
   * (UpdateStatus) only status changes.
   */
  async update<K extends KindName>(kind: K, obj: KindTypes[K], opts: { dryRun: boolean; statusOnly: boolean }): Promise<KindTypes[K]> {
    const sent = metaOf(obj);
    if (!sent.name) throwIfInvalid(kind, "", [{ field: "metadata.name", type: "Required", detail: "name is required" }]);
    // The client's preconditions, taken before an attempt writes the stored ones into `obj`.
    const pinned = { resourceVersion: sent.resourceVersion, uid: sent.uid };
    const out = await this.guaranteedUpdate(
      kind,
      sent.namespace,
      sent.name,
      { operation: opts.statusOnly ? "status" : "update", dryRun: opts.dryRun, retryOnConflict: !pinned.resourceVersion },
      (old) => {
        checkResourceVersion(kind, pinned.resourceVersion, old);
        checkUid(pinned.uid, metaOf(old).uid);
        return this.nextOf(kind, old, obj, opts.statusOnly);
      },
    );
    return out.object;
  }

  /**
   * The object an update (or a patch) writes: `sent` with the metadata the server owns taken from
   * `old`, and old's status when the kind has a status subresource. With statusOnly (the status
   * subresource), old with sent's status: metadata and spec are ignored. `sent` is changed in place.
   */
  nextOf<K extends KindName>(kind: K, old: KindTypes[K], sent: KindTypes[K], statusOnly: boolean): KindTypes[K] {
    if (statusOnly) {
      const next = this.copyOf(kind, old);
      partsOf(next).status = partsOf(sent).status;
      return next;
    }
    const oldMeta = metaOf(old);
    const m = metaOf(sent);
    const keep: (keyof ObjectMeta)[] = ["namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "generateName"];
    for (const k of keep) (m as unknown as Record<string, unknown>)[k] = oldMeta[k];
    if (this.strategyOf(kind).hasStatus) partsOf(sent).status = partsOf(old).status;
    return sent;
  }

  /**
   * The one read-modify-write of a stored object, as kube-apiserver's GuaranteedUpdate: read it,
   * let `tryUpdate` make the next object from it, apply the kind's defaults and validation, bump
   * generation when the spec changed, and compare-and-swap on the read resourceVersion. A lost race
   * (someone wrote in between) reads again and repeats, up to 200 times, unless the client pinned a
   * resourceVersion (retryOnConflict false): then the conflict is the answer. Errors thrown by
   * tryUpdate (preconditions, bad requests) are never repeated. Update, UpdateStatus, Scale, Bind
   * and Delete all write through here.
   *
   * tryUpdate gets the stored object, which it must not change (copy it with copyOf, or build the
   * next object apart); it returns the next object, or a Removal to delete the object at once.
   */
  async guaranteedUpdate<K extends KindName>(
    kind: K,
    namespace: string,
    name: string,
    opts: { operation: UpdateOperation; dryRun: boolean; retryOnConflict: boolean },
    tryUpdate: (current: KindTypes[K]) => KindTypes[K] | Removal<K>,
  ): Promise<UpdateOutcome<K>> {
    const ns = this.namespaceFor(kind, namespace);
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(kind, ns, name);
      const next = tryUpdate(current);
      try {
        return await this.write(kind, current, next, opts);
      } catch (err) {
        // Only the compare-and-swap throws a ConflictError here: the object changed since the read.
        if (err instanceof ConflictError && opts.retryOnConflict && attempt < MAX_UPDATE_ATTEMPTS - 1) continue;
        throw err;
      }
    }
  }

  /** One attempt of guaranteedUpdate: `next` (or its removal) against the stored `old`. */
  private async write<K extends KindName>(kind: K, old: KindTypes[K], change: KindTypes[K] | Removal<K>, opts: { operation: UpdateOperation; dryRun: boolean }): Promise<UpdateOutcome<K>> {
    const oldMeta = metaOf(old);
    if (change instanceof Removal) {
      // Deleting is always allowed, whatever the object holds: no validation.
      const gone = change.object;
      if (!opts.dryRun) {
        await this.storage.remove(kind, oldMeta.namespace, oldMeta.name, oldMeta.resourceVersion);
        await this.allocations.release(kind, old);
      }
      return { object: gone, removed: true };
    }
    const next = change;
    const strategy = this.strategyOf(kind);
    const info = KINDS[kind];
    const nextMeta = metaOf(next);
    nextMeta.resourceVersion = oldMeta.resourceVersion;
    partsOf(next).apiVersion = info.apiVersion;
    partsOf(next).kind = info.kind;
    strategy.defaults(next);
    strategy.prepareForUpdate?.(next, old);
    const errs: Errors = [];
    validateObjectMeta(kind, nextMeta, strategy.nameRule, errs);
    errs.push(...strategy.validate(next));
    errs.push(...strategy.validateUpdate(next, old, opts.operation));
    // The server itself adds the garbage collector's finalizers when deleting (operation "delete").
    if (opts.operation === "update" && oldMeta.deletionTimestamp && nextMeta.finalizers.some((f) => !oldMeta.finalizers.includes(f))) {
      errs.push(forbidden("metadata.finalizers", "no new finalizers can be added if the object is being deleted"));
    }
    throwIfInvalid(kind, nextMeta.name, errs);
    // generation counts spec changes only (never status or metadata), here and nowhere else.
    const specChanged = !deepEqual(partsOf(next).spec, partsOf(old).spec);
    nextMeta.generation = specChanged ? oldMeta.generation + 1 : oldMeta.generation;
    // Nothing changed: no write, same resourceVersion (an Event's update still renews its TTL).
    const renewsTtl = this.ttlOf(kind) !== undefined && (opts.operation === "update" || opts.operation === "status");
    if (!renewsTtl && deepEqual(next, old)) return { object: old, removed: false };
    if (opts.dryRun) return { object: next, removed: false };
    const finalizing = opts.operation === "update" || opts.operation === "status";
    if (finalizing && nextMeta.deletionTimestamp && nextMeta.finalizers.length === 0 && !this.awaitsKubelet(kind, next) && !awaitsNamespaceController(kind, next)) {
      // The last finalizer of an object being deleted is gone: the object goes. (Delete itself
      // decides when an object goes, with a Removal; a namespace stays Terminating until the
      // namespace controller has emptied it and removed `kubernetes` from spec.finalizers.)
      await this.storage.remove(kind, nextMeta.namespace, nextMeta.name, oldMeta.resourceVersion);
      await this.allocations.release(kind, old);
      return { object: next, removed: true };
    }
    const reservation = await this.allocations.reserve(kind, next, old, false);
    let written: KindTypes[K];
    try {
      written = await this.storage.update(kind, next, oldMeta.resourceVersion, { ttlSeconds: this.ttlOf(kind) });
    } catch (err) {
      await reservation.abort();
      throw err;
    }
    await reservation.commit();
    if (kind === "Namespace") this.namespaces.observe(written as KindTypes["Namespace"]);
    return { object: written, removed: false };
  }

  /** A deep copy of a stored object, for a tryUpdate to change. */
  copyOf<K extends KindName>(kind: K, obj: KindTypes[K]): KindTypes[K] {
    const codec = KINDS[kind].codec;
    return codec.decode(codec.encode(obj).finish());
  }

  /** A pod on a node being deleted gracefully waits for its kubelet's grace-0 delete. */
  awaitsKubelet(kind: KindName, obj: KindTypes[KindName]): boolean {
    if (kind !== "Pod") return false;
    const pod = obj as KindTypes["Pod"];
    return !!pod.spec?.nodeName && (pod.metadata?.deletionGracePeriodSeconds ?? 0) > 0;
  }
}

/** A namespace whose spec.finalizers still hold a token (the namespace controller's `kubernetes`). */
export function awaitsNamespaceController(kind: KindName, obj: KindTypes[KindName]): boolean {
  return kind === "Namespace" && ((obj as KindTypes["Namespace"]).spec?.finalizers.length ?? 0) > 0;
}
