// Faults only the HTTP edge can receive, in place of the gRPC edge's wire faults: a valid object of
// any kind as Kubernetes JSON with one thing broken in the JSON itself (a value of the wrong type, a
// number out of range, an unknown field under fieldValidation=Strict or, without it, beside a
// semantic fault, nesting thousands deep, broken UTF-8 bytes inside a string), or in the request
// (a bad Content-Type, truncated JSON, a body over 3 MiB, a bad query parameter), or a PATCH whose
// document is invalid for its type (JSON patch, merge patch, strategic merge patch). Each says which
// field (or part of the request) its refusal must name, and the HTTP status when only one is right.
import { KINDS, type KindInfo, type KindName, wrap } from "@mk/proto";
import { type JsonObject, PATCH_CONTENT_TYPES, toK8s } from "@mk/proto/api";
import type { HttpCall, HttpCategory } from "./http-call.js";
import { collectionPath, json, objectJson, objectPath, withQuery } from "./http-request.js";
import { FUZZ_NAMESPACE, SEEDED_KINDS, seedName, valid } from "./objects.js";
import type { Rng } from "./rng.js";

/** What an HTTP fault sends and what its refusal must name. */
export interface HttpFault {
  category: HttpCategory;
  field: string;
  aliases?: readonly string[];
  /** The one HTTP status that is right (413 for a body over 3 MiB, 415 for a Content-Type). */
  status?: number;
  call: HttpCall;
}

/** Maps whose keys are data, not fields: an unknown key there is a new entry, not an unknown field. */
const MAP_FIELDS = new Set(["labels", "annotations", "nodeSelector", "requests", "limits", "capacity", "allocatable", "matchLabels", "data", "binaryData", "stringData"]);

/** One value in a JSON tree: its parent, its key there, and its path in the API's spelling. */
interface Spot {
  parent: JsonObject | unknown[];
  key: string | number;
  value: unknown;
  /** `spec.containers[0].image`; a map entry's is its map's (`metadata.labels`). */
  path: string;
  inMap: boolean;
}

function spots(root: JsonObject): Spot[] {
  const out: Spot[] = [];
  const visit = (v: unknown, path: string, inMap: boolean, mapPath: string) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        const p = `${path}[${i}]`;
        out.push({ parent: v, key: i, value: x, path: inMap ? mapPath : p, inMap });
        visit(x, p, inMap, mapPath);
      });
    } else if (typeof v === "object" && v !== null) {
      const isMap = MAP_FIELDS.has(path.slice(path.lastIndexOf(".") + 1)) || (path === "spec.selector" && !("matchLabels" in v) && !("matchExpressions" in v));
      for (const [k, x] of Object.entries(v)) {
        const p = path ? `${path}.${k}` : k;
        const entry = inMap || isMap;
        const mp = inMap ? mapPath : path;
        out.push({ parent: v as JsonObject, key: k, value: x, path: entry ? mp : p, inMap: entry });
        visit(x, p, entry, mp);
      }
    }
  };
  visit(root, "", false, "");
  return out;
}

/** Objects outside maps, where a new key is an unknown field. */
function objectSpots(root: JsonObject): { obj: JsonObject; path: string }[] {
  const out = [{ obj: root, path: "" }];
  for (const s of spots(root)) {
    if (!s.inMap && typeof s.value === "object" && s.value !== null && !Array.isArray(s.value) && !MAP_FIELDS.has(String(s.key))) {
      if (!(s.path === "spec.selector" && !("matchLabels" in s.value))) out.push({ obj: s.value as JsonObject, path: s.path });
    }
  }
  return out;
}

const MIB = 1024 * 1024;
/** A placeholder in the JSON text, replaced by raw bytes after encoding. */
const MARK = "\u0001MKFUZZ\u0001";
const markText = JSON.stringify(MARK).slice(1, -1);

const BROKEN_UTF8 = [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xfe, 0xfe]];

/** A valid object of a random kind: a new one (POST) or the seed (PUT). */
function base(rng: Rng, id: number): { info: KindInfo; body: JsonObject; method: "POST" | "PUT"; path: string } {
  const kind = rng.pick(SEEDED_KINDS);
  const create = rng.next() < 0.6;
  const o = objectJson({ method: create ? "Create" : "Update", message: { object: wrap(kind, valid(kind, create ? `fuzz-new-${id}` : seedName(kind))), dryRun: false } });
  if (!o) throw new Error(`no JSON for ${kind}`);
  const ns = o.info.namespaced ? FUZZ_NAMESPACE : "";
  return { info: o.info, body: o.body, method: create ? "POST" : "PUT", path: create ? collectionPath(o.info, ns) : objectPath(o.info, ns, o.name) };
}

/** Int-or-string fields (a probe's port, maxSurge …): a number's string is no wrong type there. */
const INT_OR_STRING_KEYS = new Set(["port", "targetPort", "maxSurge", "maxUnavailable"]);

const wrongTypeFor = (v: unknown, key: string | number, rng: Rng): unknown => {
  if (typeof v === "string") return rng.pick([true, {}, [], [v]]);
  if (typeof v === "number") return rng.pick(INT_OR_STRING_KEYS.has(String(key)) ? [true, {}, [v]] : [String(v), true, {}, [v]]);
  if (typeof v === "boolean") return rng.pick(["true", 1, {}, []]);
  if (Array.isArray(v)) return rng.pick(["x", 1, {}, true]);
  return rng.pick(["x", 1, [], true]);
};

/** Fields whose values are int32: 2^31 is out of range there (elsewhere it may be a valid int64). */
const INT32_FIELDS = new Set(["replicas", "containerPort", "hostPort", "periodSeconds", "failureThreshold", "minReadySeconds", "leaseDurationSeconds", "leaseTransitions", "count"]);

function jsonBody(body: JsonObject, method: "POST" | "PUT", path: string, query: Record<string, string> = {}, raw?: Buffer): HttpCall {
  return { method, path: withQuery(path, query), contentType: "application/json", body: raw ?? json(body) };
}

/** JSON text with the marker replaced by raw bytes. */
function withBytes(text: string, bytes: readonly number[]): Buffer {
  const at = text.indexOf(markText);
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at + markText.length))]);
}

/** `depth` nested objects or arrays around a number, as JSON text (JSON.stringify would recurse). */
const deep = (depth: number, arrays: boolean) => (arrays ? `${"[".repeat(depth)}1${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);

const UNKNOWN_KEYS = ["bogus", "replica", "Spec", "x-extra", "__proto__", "constructor", "toString", "metadata_"];

/** An object fault: the JSON of a valid object with one thing broken. `semantic` gives a case with a field fault. */
export function jsonFault(rng: Rng, id: number, semantic: () => { call: HttpCall; field: string; aliases?: readonly string[] } | undefined): HttpFault | undefined {
  const { body, method, path } = base(rng, id);
  const all = spots(body).filter((s) => !(s.path === "apiVersion" || s.path === "kind"));
  const category = rng.pick<HttpCategory>(["json-wrong-type", "json-out-of-range", "json-unknown-field", "json-unknown-lenient", "json-deep-nesting", "json-broken-utf8", "content-type", "truncated-json", "too-large", "query-param"]);
  switch (category) {
    case "json-wrong-type": {
      const s = rng.pick(all);
      s.parent[s.key as never] = wrongTypeFor(s.value, s.key, rng) as never;
      return { category, field: s.path, call: jsonBody(body, method, path) };
    }
    case "json-out-of-range": {
      const numbers = all.filter((s) => typeof s.value === "number");
      if (numbers.length === 0) return undefined;
      const s = rng.pick(numbers);
      const values = ["1.5", "1e400", "-1e400", "9007199254740993", "1e20", "-0.5"];
      if (INT32_FIELDS.has(String(s.key))) values.push("2147483648", "-2147483649", "4294967296");
      s.parent[s.key as never] = MARK as never;
      const text = JSON.stringify(body).replace(`"${markText}"`, rng.pick(values));
      return { category, field: s.path, call: jsonBody(body, method, path, {}, Buffer.from(text)) };
    }
    case "json-unknown-field": {
      const o = rng.pick(objectSpots(body));
      const key = rng.pick(UNKNOWN_KEYS);
      Object.defineProperty(o.obj, key, { value: rng.pick([1, "x", { a: 1 }, [1], null]), enumerable: true, writable: true, configurable: true });
      const field = o.path ? `${o.path}.${key}` : key;
      return { category, field, call: jsonBody(body, method, path, { fieldValidation: "Strict" }) };
    }
    case "json-unknown-lenient": {
      // Warn (the default) and Ignore drop an unknown field: the object's own fault must still be found.
      const s = semantic();
      if (!s?.call.body || (s.call.method !== "POST" && s.call.method !== "PUT")) return undefined;
      const sent = JSON.parse(s.call.body.toString("utf8")) as JsonObject;
      const o = rng.pick(objectSpots(sent));
      Object.defineProperty(o.obj, rng.pick(UNKNOWN_KEYS), { value: { extra: [1, 2] }, enumerable: true, writable: true, configurable: true });
      const mode = rng.pick(["", "Warn", "Ignore"]);
      return { category, field: s.field, aliases: s.aliases, call: { ...s.call, path: withQuery(s.call.path, mode ? { fieldValidation: mode } : {}), body: json(sent) } };
    }
    case "json-deep-nesting": {
      const depth = rng.pick([100, 1000, 10_000, 100_000]);
      const arrays = rng.next() < 0.5;
      if (rng.next() < 0.5) {
        // Under an unknown field, refused by Strict.
        const o = rng.pick(objectSpots(body));
        o.obj.deepField = MARK;
        const text = JSON.stringify(body).replace(`"${markText}"`, deep(depth, arrays));
        return { category, field: o.path ? `${o.path}.deepField` : "deepField", call: jsonBody(body, method, path, { fieldValidation: "Strict" }, Buffer.from(text)) };
      }
      // As a value of a map of strings: the wrong type, in every mode.
      const meta = body.metadata as JsonObject;
      meta.annotations = { ...((meta.annotations as JsonObject | undefined) ?? {}), deep: MARK };
      const text = JSON.stringify(body).replace(`"${markText}"`, deep(depth, arrays));
      return { category, field: "metadata.annotations", call: jsonBody(body, method, path, {}, Buffer.from(text)) };
    }
    case "json-broken-utf8": {
      const strings = all.filter((s) => typeof s.value === "string");
      const s = rng.pick(strings);
      const v = s.value as string;
      const at = rng.int(v.length + 1);
      s.parent[s.key as never] = `${v.slice(0, at)}${MARK}${v.slice(at)}` as never;
      return { category, field: s.path, call: jsonBody(body, method, path, {}, withBytes(JSON.stringify(body), rng.pick(BROKEN_UTF8))) };
    }
    case "content-type": {
      const contentType = rng.pick(["text/plain", "application/xml", "application/yaml", "application/x-www-form-urlencoded", "json", "application/merge-patch+json", "multipart/form-data; boundary=x", "application/json-patch+json"]);
      return { category, field: "Content-Type", aliases: ["media type"], status: 415, call: { ...jsonBody(body, method, path), contentType } };
    }
    case "truncated-json": {
      const text = JSON.stringify(body);
      const variants = [text.slice(0, 1 + rng.int(text.length - 1)), `${text}}`, `${text} x`, "[]", "42", '"text"', "null", "{", `${text.slice(0, -1)},}`, "\u00ef\u00bb\u00bf"];
      return { category, field: "request body", aliases: ["the request carries no body"], call: jsonBody(body, method, path, {}, Buffer.from(rng.pick(variants), "utf8")) };
    }
    case "too-large": {
      const meta = body.metadata as JsonObject;
      meta.annotations = { big: "x".repeat(3 * MIB + rng.int(MIB)) };
      return { category, field: "Request entity too large", status: 413, call: jsonBody(body, method, path) };
    }
    case "query-param": {
      if (rng.next() < 0.5) return { category, field: "fieldValidation", call: jsonBody(body, method, path, { fieldValidation: rng.pick(["strict", "Bogus", "None", "1"]) }) };
      return { category, field: "dryRun", call: jsonBody(body, method, path, { dryRun: rng.pick(["true", "all", "Server", "1"]) }) };
    }
    default:
      return undefined;
  }
}

const WITH_POD_SPEC: readonly KindName[] = ["Pod", "ReplicaSet", "Deployment"];

function seedHasSpec(kind: KindName): boolean {
  return "spec" in toK8s(KINDS[kind] as KindInfo, valid(kind, seedName(kind)));
}

/** A PATCH of the seed object whose document is invalid for its type, or sets an invalid value. */
export function patchFault(rng: Rng): HttpFault {
  const kind = rng.pick(SEEDED_KINDS);
  const info = KINDS[kind] as KindInfo;
  const path = objectPath(info, info.namespaced ? FUZZ_NAMESPACE : "", seedName(kind));
  const type = rng.pick(["json", "merge", "strategic"] as const);
  const call = (patch: string | Buffer, query: Record<string, string> = {}): HttpCall => ({
    method: "PATCH",
    path: withQuery(path, query),
    contentType: PATCH_CONTENT_TYPES[type],
    body: typeof patch === "string" ? Buffer.from(patch) : patch,
  });
  const podSpecAt = kind === "Pod" ? "spec" : "spec.template.spec";
  // Faults every patch type can carry: a document that is not one, bad values, a body over 3 MiB.
  const common: (() => HttpFault)[] = [
    () => ({ category: `${type}-patch` as HttpCategory, field: "patch", aliases: ["request body"], call: call(rng.pick(type === "json" ? ["{}", '"x"', "42", "null", '{"op":"add"}'] : ["[]", '"x"', "42", "[{}]"])) }),
    () => ({ category: `${type}-patch` as HttpCategory, field: "request body", call: call(rng.pick(["{", "[", '{"metadata":', "[{]", "\u00ff"])) }),
    () => ({ category: `${type}-patch` as HttpCategory, field: "Request entity too large", status: 413, call: call(type === "json" ? `[{"op":"add","path":"/metadata/annotations/big","value":"${"x".repeat(3 * MIB + 10)}"}]` : `{"metadata":{"annotations":{"big":"${"x".repeat(3 * MIB + 10)}"}}}`) }),
  ];
  // A change as a document of the patch's type; as JSON patch, one `add` per path `depth` deep (the
  // object's parents exist there: the value replaces what is at the path).
  const byValue = (doc: JsonObject, field: string, depth = 2): HttpFault => {
    if (type === "json") {
      const ops: JsonObject[] = [];
      const walk = (v: unknown, pointer: string, level: number) => {
        if (level < depth && typeof v === "object" && v !== null && !Array.isArray(v)) {
          for (const [k, x] of Object.entries(v)) walk(x, `${pointer}/${k.replaceAll("~", "~0").replaceAll("/", "~1")}`, level + 1);
        } else ops.push({ op: "add", path: pointer, value: v as never });
      };
      walk(doc, "", 0);
      // A path whose parent the object lacks (no spec) is refused naming the pointer.
      return { category: "json-patch", field, aliases: ops.map((o) => String(o.path)), call: call(JSON.stringify(ops)) };
    }
    return { category: `${type}-patch` as HttpCategory, field, call: call(JSON.stringify(doc)) };
  };
  const values: (() => HttpFault)[] = [
    () => byValue({ metadata: { labels: { [rng.pick(["bad key", "-x", "a/b/c"])]: "v" } } }, "metadata.labels"),
    () => byValue({ metadata: { labels: rng.pick([5, "x", [1]]) } }, "metadata.labels"),
    () => byValue({ metadata: { annotations: { "fuzz.mk.io/seed": rng.pick([1, true, { a: 1 }]) } } }, "metadata.annotations"),
    () => byValue({ metadata: { finalizers: [rng.pick(["Bad Finalizer", "-x", "a/b/c"])] } }, "metadata.finalizers[0]"),
    // A kind without spec (ConfigMap, Event …) names spec itself as the unknown field.
    () => byValue({ spec: { bogusField: 1 } }, seedHasSpec(kind) ? "spec.bogusField" : "spec"),
    () => byValue({ metadata: { name: rng.pick(["other", "Bad_Name"]) } }, "metadata.name"),
    () => byValue({ apiVersion: rng.pick(["v2", "apps/v9", "x"]) }, "apiVersion", 1),
    () => byValue({ kind: rng.pick(["Other", "Pod2", ""]) }, "kind", 1),
  ];
  if (info.namespaced) values.push(() => byValue({ metadata: { namespace: rng.pick(["other", "Bad_NS"]) } }, "metadata.namespace"));
  if (kind === "ReplicaSet" || kind === "Deployment") values.push(() => byValue({ spec: { replicas: rng.pick([-1, "3", 1.5, 2 ** 31]) } }, "spec.replicas"));
  if (WITH_POD_SPEC.includes(kind)) {
    const specPath = podSpecAt.split(".");
    const nest = (leaf: JsonObject): JsonObject => specPath.reduceRight<JsonObject>((acc, k) => ({ [k]: acc }), leaf);
    values.push(() => byValue(nest({ restartPolicy: "Sometimes" }), `${podSpecAt}.restartPolicy`, specPath.length + 1));
    values.push(() => byValue(nest({ terminationGracePeriodSeconds: rng.pick([-1, "x", 1.5]) }), `${podSpecAt}.terminationGracePeriodSeconds`, specPath.length + 1));
  }
  const byType: Record<typeof type, (() => HttpFault)[]> = {
    json: [
      () => ({ category: "json-patch", field: "op", call: call(JSON.stringify([{ op: rng.pick(["jump", "ADD", "", 5]), path: "/metadata/labels/x", value: "y" }])) }),
      () => {
        const pointer = rng.pick(["metadata/labels/x", "spec", "~"]);
        return { category: "json-patch", field: pointer, call: call(JSON.stringify([{ op: "add", path: pointer, value: "y" }])) };
      },
      () => ({ category: "json-patch", field: "value", call: call(JSON.stringify([{ op: rng.pick(["add", "replace", "test"]), path: "/metadata/labels/x" }])) }),
      () => ({ category: "json-patch", field: "path", call: call(JSON.stringify([{ op: "add", value: "y" }])) }),
      () => ({ category: "json-patch", field: "/metadata/name", call: call(JSON.stringify([{ op: "test", path: "/metadata/name", value: "other" }])) }),
      () => {
        const pointer = rng.pick(["/spec/nope/x", "/metadata/labels/missing/x", "/metadata/finalizers/7"]);
        return { category: "json-patch", field: pointer, call: call(JSON.stringify([{ op: rng.pick(["remove", "replace"]), path: pointer, value: 1 }])) };
      },
      () => ({ category: "json-patch", field: "/metadata", call: call(JSON.stringify([{ op: "move", from: "/metadata", path: "/metadata/x" }])) }),
      () => ({ category: "json-patch", field: "from", call: call(JSON.stringify([{ op: rng.pick(["move", "copy"]), path: "/metadata/labels/x" }])) }),
      () => ({ category: "json-patch", field: "[0]", call: call(JSON.stringify([rng.pick([5, "op", null, [1]])])) }),
    ],
    merge: [],
    strategic: [
      () => ({ category: "strategic-patch", field: "$patch", call: call(JSON.stringify({ metadata: { $patch: rng.pick(["bogus", "Replace", 5]) } })) }),
      () => ({ category: "strategic-patch", field: "$bogus", call: call(JSON.stringify({ metadata: { $bogus: 1 } })) }),
      () => ({ category: "strategic-patch", field: "$setElementOrder/finalizers", aliases: ["$setElementOrder"], call: call(JSON.stringify({ metadata: { "$setElementOrder/finalizers": rng.pick([5, "x", {}]) } })) }),
      () => ({ category: "strategic-patch", field: "$retainKeys", call: call(JSON.stringify({ metadata: { $retainKeys: rng.pick([5, [1], "x"]) } })) }),
    ],
  };
  if (type === "strategic" && WITH_POD_SPEC.includes(kind)) {
    const specPath = podSpecAt.split(".");
    const nest = (leaf: JsonObject): JsonObject => specPath.reduceRight<JsonObject>((acc, k) => ({ [k]: acc }), leaf);
    byType.strategic.push(() => ({ category: "strategic-patch", field: `${podSpecAt}.containers[0]`, call: call(JSON.stringify(nest({ containers: [{ image: "mk/web:v2" }] }))) }));
    byType.strategic.push(() => ({ category: "strategic-patch", field: `${podSpecAt}.containers`, call: call(JSON.stringify(nest({ containers: [rng.pick([5, "web", [1]])] }))) }));
  }
  // Deep nesting inside a patch value: as a label's value, the wrong type.
  const deepOne = (): HttpFault => {
    const d = deep(rng.pick([1000, 10_000, 100_000]), rng.next() < 0.5);
    const text = type === "json" ? `[{"op":"add","path":"/metadata/labels/deep","value":${d}}]` : `{"metadata":{"labels":{"deep":${d}}}}`;
    return { category: `${type}-patch` as HttpCategory, field: "metadata.labels", aliases: ["/metadata/labels/deep"], call: call(text) };
  };
  return rng.pick([...common, ...values, ...byType[type], deepOne])();
}
