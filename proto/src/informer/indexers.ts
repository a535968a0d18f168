// Indexers more than one controller wants on a shared informer's store. The owner-uid index is
// Kubernetes' dependents graph reduced to a lookup: "which cached objects name this uid as owner?"
// (the garbage collector, and any controller adopting or releasing its children).
import type { HasMeta, IndexFunc, ObjectStore } from "./store.js";

export const OWNER_UID_INDEX = "metadata.ownerReferences.uid";

/** The uids an object's ownerReferences name. */
export const ownerUids: IndexFunc<HasMeta> = (obj) => (obj.metadata?.ownerReferences ?? []).map((r) => r.uid);

/** Adds the indexer unless the store has one by that name already (the same function, by convention). */
export function ensureIndexer<T>(store: ObjectStore<T>, name: string, fn: IndexFunc<T>): void {
  if (!store.hasIndexer(name)) store.addIndexer(name, fn);
}

/** Indexes a store by owner uid (idempotent): `store.byIndex(OWNER_UID_INDEX, uid)` lists the dependents. */
export function indexByOwnerUid<T extends HasMeta>(store: ObjectStore<T>): void {
  ensureIndexer(store, OWNER_UID_INDEX, ownerUids as IndexFunc<T>);
}
