// Objects in Kubernetes' JSON shape (apiVersion, kind, metadata, spec, status; camelCase names;
// empty values omitted by the generated codecs), as -o yaml/json print them and apply merges them.
import { type AnyObject, isJsonObject, type Json, type JsonObject, type KindInfo } from "@mk/proto/api";

export type { Json, JsonObject } from "@mk/proto/api";
export const isObject = isJsonObject;

/** Keys sorted at every level, as kubectl prints objects (they come back as maps from the server). */
export function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k] as Json);
  return out;
}

/**
 * Int-or-string fields, by the key of the object holding them: mk stores them as strings ("8080",
 * "25%"), Kubernetes' IntOrString keeps the number a number. A string of digits cannot be the string
 * form here (a named port needs a letter, a string maxSurge needs "%"), so it prints as the number:
 * `port: 8080`, `maxSurge: 1`, `maxSurge: 25%`, as kubectl prints them.
 */
const INT_OR_STRING: { readonly [holder: string]: readonly string[] } = {
  httpGet: ["port"],
  tcpSocket: ["port"],
  rollingUpdate: ["maxSurge", "maxUnavailable"],
};

function intOrStringAsNumbers(v: Json, holder = ""): Json {
  if (Array.isArray(v)) return v.map((x) => intOrStringAsNumbers(x, holder));
  if (!isObject(v)) return v;
  const fields = INT_OR_STRING[holder] ?? [];
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = fields.includes(k) && typeof x === "string" && /^\d+$/.test(x) ? Number(x) : intOrStringAsNumbers(x, k);
  }
  return out;
}

/** The object as Kubernetes JSON, with apiVersion and kind filled in from the kinds table. */
export function toK8s(info: KindInfo, obj: AnyObject): JsonObject {
  const json = (info.codec as { toJSON(m: AnyObject): unknown }).toJSON(obj) as JsonObject;
  json.apiVersion = info.apiVersion;
  json.kind = info.kind;
  return sortKeys(intOrStringAsNumbers(json)) as JsonObject;
}

export function fromK8s(info: KindInfo, json: JsonObject): AnyObject {
  return (info.codec as { fromJSON(o: unknown): AnyObject }).fromJSON(json);
}

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
