// Objects in Kubernetes' JSON shape (apiVersion, kind, metadata, spec, status; camelCase names;
// empty values omitted by the generated codecs), as -o yaml/json print them and apply merges them.
import { isJsonObject, type Json, type JsonObject } from "@mk/proto/api";

export type { Json, JsonObject } from "@mk/proto/api";
// The encoding is shared with the API server's HTTP edge (proto/src/api/encoding.ts).
export { fromK8s, sortKeys, toK8s } from "@mk/proto/api";
export const isObject = isJsonObject;

/** `kind: List` wrapping, as `kubectl get -o yaml` prints several objects. */
export function listOf(items: JsonObject[]): JsonObject {
  return { apiVersion: "v1", items, kind: "List", metadata: { resourceVersion: "" } };
}

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

export function cloneJson<T extends Json>(v: T): T {
  return structuredClone(v);
}
