// Object keys: "namespace/name", or "name" for cluster-scoped objects, as Kubernetes'
// cache.MetaNamespaceKeyFunc. The one key of caches, work queues and log fields.

/** The metadata fields a key needs; accepts mutable and read-only objects alike. */
export interface KeyedObject {
  readonly metadata?: { readonly namespace: string; readonly name: string } | undefined;
}

/** "namespace/name", or "name" for cluster-scoped objects; "" without metadata. */
export function objectKey(obj: KeyedObject): string {
  const m = obj.metadata;
  if (!m) return "";
  return m.namespace ? `${m.namespace}/${m.name}` : m.name;
}

/** The inverse of objectKey: "a/b" → a, b; "b" → "", b. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: "", name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
