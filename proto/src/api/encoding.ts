// Objects in Kubernetes' JSON, one encoding for every edge that prints or serves them (mkctl's
// -o json/yaml and the API server's HTTP edge): the generated codecs give the proto's json_name field
// names, integers as numbers, timestamps as RFC 3339 strings and omit empty fields; this adds
// apiVersion and kind from the kinds table and gives int-or-string fields back their number form.
import type { AnyObject, KindInfo } from "./kinds.js";
import { isJsonObject, type Json, type JsonObject } from "./json.js";

/** Keys sorted at every level, as kubectl prints objects (they come back as maps from the server). */
export function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k] as Json);
  return out;
}

/**
 * Int-or-string fields, by the key of the object holding them: mk stores them as strings ("8080",
 * "25%"), Kubernetes' IntOrString keeps the number a number. A string of digits cannot be the string
 * form here (a named port needs a letter, a string maxSurge needs "%"), so it encodes as the number:
 * `port: 8080`, `maxSurge: 1`, `maxSurge: 25%`, as Kubernetes returns them.
 */
const INT_OR_STRING: { readonly [holder: string]: readonly string[] } = {
  httpGet: ["port"],
  tcpSocket: ["port"],
  rollingUpdate: ["maxSurge", "maxUnavailable"],
};

function intOrStringAsNumbers(v: Json, holder = ""): Json {
  if (Array.isArray(v)) return v.map((x) => intOrStringAsNumbers(x, holder));
  if (!isJsonObject(v)) return v;
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
