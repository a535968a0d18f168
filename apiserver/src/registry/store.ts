// The generic registry: create, get, list, update and updateStatus for every kind, with the
// kind's strategy for defaults and validation. What the server owns in metadata (uid,
// creationTimestamp, generation, deletionTimestamp) is set here, whatever the client sent.
import { randomUUID } from "node:crypto";
import { type KindName, type KindTypes, KINDS, metaOf, type ObjectMeta, parseSelector, SelectorParseError, type Selector } from "@mk/proto";
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError } from "@mk/proto/client";
import type { EtcdStorage } from "../storage/etcd.js";
import { resourceName } from "../storage/keys.js";
import { type FieldSelector, parseFieldSelector } from "./fields.js";
import type { NamespaceCache } from "./namespaces.js";
import { strategyOf } from "./strategies.js";
import { partsOf } from "./strategy.js";
import { deepEqual, type Errors, forbidden, throwIfInvalid, validateObjectMeta } from "./validation.js";

export interface StoreOptions {
  storage: EtcdStorage;
  namespaces: NamespaceCache;
  /** Events expire this long after their last write (an etcd lease). */
  eventTtlSeconds: number;
  now?: () => Date;
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

  constructor(options: StoreOptions) {
    this.storage = options.storage;
    this.namespaces = options.namespaces;
    this.eventTtlSeconds = options.eventTtlSeconds;
    this.now = options.now ?? (() => new Date());
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
  async create<K extends KindName>(kind: K, obj: KindTypes[K], dryRun: boolean): Promise<KindTypes[K]> {
    const strategy = strategyOf(kind);
    const info = KINDS[kind];
    const meta = metaOf(obj);
    meta.namespace = this.namespaceFor(kind, meta.namespace);
    const generated = !meta.name && !!meta.generateName;
    if (generated) meta.name = meta.generateName + randomSuffix();
    meta.uid = randomUUID();
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
    if (dryRun) return obj;
    for (let attempt = 0; ; attempt++) {
      try {
        const created = await this.storage.create(kind, obj, { ttlSeconds: this.ttlOf(kind) });
        if (kind === "Namespace") this.namespaces.observe(created as KindTypes["Namespace"]);
        return created;
      } catch (err) {
        // A generated name that is taken: draw another, as Kubernetes does a few times.
        if (!(err instanceof AlreadyExistsError) || !generated || attempt >= 5) throw err;
        meta.name = meta.generateName + randomSuffix();
      }
    }
  }

  /**
   * Replaces an object. metadata.resourceVersion, when set, must be the stored one (else
   * ConflictError); when empty the update is unconditional (read, modify, compare-and-swap,
   * repeated on a race). Status is kept from the stored object for kinds with a status
   * subresource; with statusOnly only status changes.
   */
  async update<K extends KindName>(kind: K, obj: KindTypes[K], opts: { dryRun: boolean; statusOnly: boolean }): Promise<KindTypes[K]> {
    const meta = metaOf(obj);
    const namespace = this.namespaceFor(kind, meta.namespace);
    if (!meta.name) throwIfInvalid(kind, "", [{ field: "metadata.name", type: "Required", detail: "name is required" }]);
    const precondition = meta.resourceVersion;
    for (let attempt = 0; ; attempt++) {
      const old = await this.get(kind, namespace, meta.name);
      try {
        return await this.updateFrom(kind, obj, old, opts);
      } catch (err) {
        if (err instanceof ConflictError && !precondition && attempt < 20) continue;
        throw err;
      }
    }
  }

  /** One attempt of update against the stored `old`. */
  private async updateFrom<K extends KindName>(kind: K, obj: KindTypes[K], old: KindTypes[K], opts: { dryRun: boolean; statusOnly: boolean }): Promise<KindTypes[K]> {
    const strategy = strategyOf(kind);
    const info = KINDS[kind];
    const sent = metaOf(obj);
    const oldMeta = metaOf(old);
    if (sent.resourceVersion && sent.resourceVersion !== oldMeta.resourceVersion) {
      throw new ConflictError(
        `Operation cannot be fulfilled on ${resourceName(kind)} "${oldMeta.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    if (sent.uid && sent.uid !== oldMeta.uid) {
      throw new ConflictError(`Precondition failed: UID in precondition: ${sent.uid}, UID in object meta: ${oldMeta.uid}`);
    }
    let next: KindTypes[K];
    if (opts.statusOnly) {
      // UpdateStatus: the stored object with the sent status; metadata and spec are ignored.
      next = info.codec.decode(info.codec.encode(old).finish());
      partsOf(next).status = partsOf(obj).status;
    } else {
      next = obj;
      const m = metaOf(next);
      const keep: (keyof ObjectMeta)[] = ["namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "generateName"];
      for (const k of keep) (m as unknown as Record<string, unknown>)[k] = oldMeta[k];
      if (strategy.hasStatus) partsOf(next).status = partsOf(old).status;
    }
    const nextMeta = metaOf(next);
    nextMeta.resourceVersion = oldMeta.resourceVersion;
    partsOf(next).apiVersion = info.apiVersion;
    partsOf(next).kind = info.kind;
    strategy.defaults(next);
    const errs: Errors = [];
    validateObjectMeta(kind, nextMeta, strategy.nameRule, errs);
    errs.push(...strategy.validate(next));
    errs.push(...strategy.validateUpdate(next, old));
    if (oldMeta.deletionTimestamp && nextMeta.finalizers.some((f) => !oldMeta.finalizers.includes(f))) {
      errs.push(forbidden("metadata.finalizers", "no new finalizers can be added if the object is being deleted"));
    }
    throwIfInvalid(kind, nextMeta.name, errs);
    // generation counts spec changes only (never status or metadata).
    const specChanged = !deepEqual(partsOf(next).spec, partsOf(old).spec);
    nextMeta.generation = specChanged ? oldMeta.generation + 1 : oldMeta.generation;
    if (deepEqual(next, old) && !this.ttlOf(kind)) return old; // nothing changed: no write, same resourceVersion
    if (opts.dryRun) return next;
    if (nextMeta.deletionTimestamp && nextMeta.finalizers.length === 0 && !this.awaitsKubelet(kind, next)) {
      // The last finalizer of an object being deleted is gone: the object goes.
      await this.storage.remove(kind, nextMeta.namespace, nextMeta.name, oldMeta.resourceVersion);
      return next;
    }
    return await this.storage.update(kind, next, oldMeta.resourceVersion, { ttlSeconds: this.ttlOf(kind) });
  }

  /** A pod on a node being deleted gracefully waits for its kubelet's grace-0 delete. */
  awaitsKubelet(kind: KindName, obj: KindTypes[KindName]): boolean {
    if (kind !== "Pod") return false;
    const pod = obj as KindTypes["Pod"];
    return !!pod.spec?.nodeName && (pod.metadata?.deletionGracePeriodSeconds ?? 0) > 0;
  }
}
