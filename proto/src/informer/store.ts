// The informer's local cache: objects by key ("namespace/name"), a namespace index and pluggable
// indexers (e.g. pods by spec.nodeName). Readers get DeepReadonly objects: the same instances the
// informer holds, shared by every controller — NEVER modify them; clone first (`cloneObject` in
// @mk/proto/api, or `cloneCached` here) and write the copy through the API.
import { cloneObject, type KindName, type KindTypes } from "../api/kinds.js";
import type { ObjectMeta } from "../gen/mk/v1/meta.js";
import type { DeepReadonly } from "../api/readonly.js";

export type { DeepReadonly } from "../api/readonly.js";
export { type KeyedObject, objectKey } from "../api/keys.js";

/** Anything with Kubernetes metadata. */
export interface HasMeta {
  metadata?: ObjectMeta | undefined;
}

/** Index values of one object, e.g. `(pod) => [pod.spec?.nodeName ?? ""]`; [] leaves it out. */
export type IndexFunc<T> = (obj: DeepReadonly<T>) => string[];

/** The read side, all a controller's sync needs. */
export interface ObjectStore<T> {
  get(key: string): DeepReadonly<T> | undefined;
  /** Every object, ordered by key (deterministic). */
  list(): DeepReadonly<T>[];
  /** The objects of one namespace ("" lists cluster-scoped objects), ordered by key. */
  listByNamespace(namespace: string): DeepReadonly<T>[];
  keys(): string[];
  /** Objects whose indexer `name` produced `value`, ordered by key. */
  byIndex(name: string, value: string): DeepReadonly<T>[];
  /** Adds an indexer; existing objects are indexed at once. Throws if the name is taken. */
  addIndexer(name: string, fn: IndexFunc<T>): void;
  /** Whether an indexer of that name exists (informers are shared: a second controller may add it). */
  hasIndexer(name: string): boolean;
  readonly size: number;
}

const NAMESPACE_INDEX = "namespace";

/** The store with its write side, owned by one informer. */
export class Store<T extends HasMeta> implements ObjectStore<T> {
  private readonly items = new Map<string, DeepReadonly<T>>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** indexer name → index value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor() {
    this.addIndexer(NAMESPACE_INDEX, (obj) => [obj.metadata?.namespace ?? ""]);
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): DeepReadonly<T> | undefined {
    return this.items.get(key);
  }

  keys(): string[] {
    return [...this.items.keys()].sort();
  }

  list(): DeepReadonly<T>[] {
    return this.keys().map((k) => this.items.get(k)!);
  }

  listByNamespace(namespace: string): DeepReadonly<T>[] {
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }

  byIndex(name: string, value: string): DeepReadonly<T>[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no indexer named ${JSON.stringify(name)}`);
    const keys = [...(index.get(value) ?? [])].sort();
    return keys.map((k) => this.items.get(k)!);
  }

  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) throw new Error(`indexer ${JSON.stringify(name)} already exists`);
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.items) addToIndex(index, fn(obj), key);
  }

  hasIndexer(name: string): boolean {
    return this.indexers.has(name);
  }

  /** Inserts or replaces; returns the previous object. */
  set(key: string, obj: T): DeepReadonly<T> | undefined {
    const ro = obj as DeepReadonly<T>;
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, ro);
    for (const [name, fn] of this.indexers) addToIndex(this.indices.get(name)!, fn(ro), key);
    return old;
  }

  /** Removes; returns the removed object. */
  delete(key: string): DeepReadonly<T> | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private unindex(key: string, obj: DeepReadonly<T>): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const v of fn(obj)) {
        const keys = index.get(v);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) index.delete(v);
      }
    }
  }
}

function addToIndex(index: Map<string, Set<string>>, values: string[], key: string): void {
  for (const v of values) {
    let keys = index.get(v);
    if (!keys) {
      keys = new Set();
      index.set(v, keys);
    }
    keys.add(key);
  }
}

/** A mutable deep copy of a cached object, to change and write back through the API. */
export function cloneCached<K extends KindName>(kind: K, obj: DeepReadonly<KindTypes[K]>): KindTypes[K] {
  return cloneObject(kind, obj as KindTypes[K]);
}
