// The schema check of a manifest in Kubernetes' JSON shape: walks it against the API's protobuf
// descriptors (buf's image, @mk/proto/descriptor.json) and names every unknown field and every
// value of the wrong type by its path (`spec.replica`, `spec.template.spec.containers[0].ports[0].containerPort`),
// as Kubernetes' strict field validation does, instead of silently dropping them as a JSON decoder
// would. `mkctl apply` runs it before sending; an HTTP edge taking JSON can run the same check.
import { type DescriptorSetJson, type FieldDescriptorJson, type MessageDescriptorJson, readDescriptorSet } from "./descriptors.js";
import { isJsonObject, type Json, type JsonObject } from "./json.js";
import type { KindName } from "./kinds.js";

/** A failing field, shaped as the client's FieldError (`spec.replica`, "Unknown", `did you mean "replicas"?`). */
export interface SchemaViolation {
  field: string;
  type: "Unknown" | "Invalid" | "TooLong";
  detail: string;
  /** The rejected value, shortened for a message. */
  value?: string;
}

type FieldDescriptor = FieldDescriptorJson;
type MessageDescriptor = MessageDescriptorJson;
/** The JSON form of a google.protobuf.FileDescriptorSet, as buf writes it. */
export type FileDescriptorSet = DescriptorSetJson;

/**
 * String fields that take a number too, as Kubernetes' IntOrString and Quantity do
 * (`maxSurge: 1`, `port: 8080`, `cpu: 1`). Keyed by message and JSON field name; for maps, the values.
 */
const INT_OR_STRING = new Set([
  ".mk.v1.RollingUpdateDeployment.maxSurge",
  ".mk.v1.RollingUpdateDeployment.maxUnavailable",
  ".mk.v1.HTTPGetAction.port",
  ".mk.v1.TCPSocketAction.port",
  ".mk.v1.ServicePort.targetPort",
  ".mk.v1.EmptyDirVolumeSource.sizeLimit",
  ".mk.v1.ResourceFieldSelector.divisor",
  ".mk.v1.ResourceRequirements.limits",
  ".mk.v1.ResourceRequirements.requests",
  ".mk.v1.NodeStatus.capacity",
  ".mk.v1.NodeStatus.allocatable",
]);

/**
 * No string of the API needs more (annotations together are limited to 256 KiB); the gRPC edge's
 * wire guard refuses a longer one by the same limit.
 */
export const MAX_STRING_BYTES = 256 * 1024;

const INT32 = new Set(["TYPE_INT32", "TYPE_SINT32", "TYPE_SFIXED32"]);
const UINT32 = new Set(["TYPE_UINT32", "TYPE_FIXED32"]);
const INT64 = new Set(["TYPE_INT64", "TYPE_SINT64", "TYPE_SFIXED64", "TYPE_UINT64", "TYPE_FIXED64"]);

/** The shape of one field: a single value, a list or a map, and the message its values are (if any). */
export interface FieldShape {
  kind: "single" | "list" | "map";
  /** The full name of the values' message (`.mk.v1.Container`); undefined for scalars. */
  message: string | undefined;
}

export interface SchemaResult {
  errors: SchemaViolation[];
  /** The manifest without the failing fields and nulls: safe to decode and send for a dry run. */
  cleaned: JsonObject;
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** A known field close to a typo (`replica` → `replicas`, `containerport` → `containerPort`). */
export function suggest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = k.toLowerCase() === name.toLowerCase() ? 0 : levenshtein(name.toLowerCase(), k.toLowerCase());
    if (d <= Math.min(2, Math.floor(k.length / 3)) && (!best || d < best.d)) best = { name: k, d };
  }
  return best?.name;
}

function show(v: Json): string {
  const s = typeof v === "object" && v !== null ? (Array.isArray(v) ? "array" : "object") : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export class Schema {
  private readonly messages = new Map<string, MessageDescriptor>();

  constructor(set: FileDescriptorSet) {
    const add = (prefix: string, m: MessageDescriptor) => {
      const full = `${prefix}.${m.name}`;
      this.messages.set(full, m);
      for (const n of m.nestedType ?? []) add(full, n);
    };
    for (const f of set.file) for (const m of f.messageType ?? []) add(`.${f.package ?? ""}`, m);
  }

  /** The API's descriptors as shipped in @mk/proto. */
  static load(): Schema {
    return new Schema(readDescriptorSet());
  }

  /**
   * What the field `jsonName` of the message `typeName` (`.mk.v1.PodSpec`) holds, for walks that need
   * the type at a path (strategic merge patch); undefined for a field the message does not have.
   */
  fieldOf(typeName: string, jsonName: string): FieldShape | undefined {
    const f = this.messages.get(typeName)?.field?.find((x) => (x.jsonName ?? x.name) === jsonName);
    if (!f) return undefined;
    const entry = f.type === "TYPE_MESSAGE" && f.typeName ? this.messages.get(f.typeName) : undefined;
    if (entry?.options?.mapEntry) {
      const value = entry.field?.find((x) => x.name === "value");
      return { kind: "map", message: value?.type === "TYPE_MESSAGE" ? value.typeName : undefined };
    }
    const message = f.type === "TYPE_MESSAGE" ? f.typeName : undefined;
    return { kind: f.label === "LABEL_REPEATED" ? "list" : "single", message };
  }

  /** Checks a whole object of the given kind (apiVersion, kind, metadata, spec, status). */
  check(kind: KindName, doc: JsonObject): SchemaResult {
    const errors: SchemaViolation[] = [];
    const cleaned = this.message(`.mk.v1.${kind}`, doc, "", errors) as JsonObject;
    return { errors, cleaned };
  }

  private message(typeName: string, value: JsonObject, path: string, errors: SchemaViolation[]): JsonObject {
    const desc = this.messages.get(typeName);
    if (!desc) return value;
    const fields = desc.field ?? [];
    const out: JsonObject = {};
    for (const [key, v] of Object.entries(value)) {
      const f = fields.find((x) => (x.jsonName ?? x.name) === key);
      const p = path ? `${path}.${key}` : key;
      if (!f) {
        const hint = suggest(
          key,
          fields.map((x) => x.jsonName ?? x.name),
        );
        errors.push({ field: p, type: "Unknown", detail: hint ? `did you mean "${hint}"?` : "" });
        continue;
      }
      // null is "not set", as in Kubernetes' JSON.
      if (v === null) continue;
      const checked = this.field(typeName, f, v, p, errors);
      if (checked !== undefined) out[key] = checked;
    }
    return out;
  }

  private field(owner: string, f: FieldDescriptor, v: Json, path: string, errors: SchemaViolation[]): Json | undefined {
    const key = `${owner}.${f.jsonName ?? f.name}`;
    if (f.type === "TYPE_MESSAGE" && f.typeName) {
      const entry = this.messages.get(f.typeName);
      if (entry?.options?.mapEntry) return this.map(entry, v, path, INT_OR_STRING.has(key), errors);
    }
    if (f.label === "LABEL_REPEATED") {
      if (!Array.isArray(v)) {
        errors.push({ field: path, type: "Invalid", value: show(v), detail: "must be of type array" });
        return undefined;
      }
      const out: Json[] = [];
      v.forEach((item, i) => {
        const c = this.single(f, item, `${path}[${i}]`, INT_OR_STRING.has(key), errors);
        if (c !== undefined) out.push(c);
      });
      return out;
    }
    return this.single(f, v, path, INT_OR_STRING.has(key), errors);
  }

  private map(entry: MessageDescriptor, v: Json, path: string, intOrString: boolean, errors: SchemaViolation[]): Json | undefined {
    if (!isJsonObject(v)) {
      errors.push({ field: path, type: "Invalid", value: show(v), detail: "must be of type object" });
      return undefined;
    }
    const valueField = entry.field?.find((x) => x.name === "value");
    if (!valueField) return v;
    const out: JsonObject = {};
    for (const [k, item] of Object.entries(v)) {
      const c = this.single(valueField, item, `${path}[${k}]`, intOrString, errors);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }

  private single(f: FieldDescriptor, v: Json, path: string, intOrString: boolean, errors: SchemaViolation[]): Json | undefined {
    const bad = (want: string) => {
      errors.push({ field: path, type: "Invalid", value: show(v), detail: `must be of type ${want}` });
      return undefined;
    };
    if (v === null) return undefined;
    switch (f.type) {
      case "TYPE_MESSAGE":
        if (!isJsonObject(v)) return bad("object");
        return this.message(f.typeName ?? "", v, path, errors);
      case "TYPE_STRING":
      case "TYPE_ENUM":
        if (typeof v === "string") {
          if (v.length > MAX_STRING_BYTES / 4 && Buffer.byteLength(v) > MAX_STRING_BYTES) {
            errors.push({ field: path, type: "TooLong", detail: `may not be longer than ${MAX_STRING_BYTES} bytes` });
            return undefined;
          }
          return v;
        }
        // Kubernetes' IntOrString holds an int32: 1.5, 1e20 or 1e400 is no such number.
        if (intOrString && typeof v === "number") return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 ? String(v) : bad("int32 or string");
        return bad(intOrString ? "integer or string" : "string");
      case "TYPE_BOOL":
        return typeof v === "boolean" ? v : bad("boolean");
      case "TYPE_DOUBLE":
      case "TYPE_FLOAT":
        return typeof v === "number" ? v : bad("number");
      case "TYPE_BYTES":
        // Base64, as Kubernetes' JSON: a decoder would silently skip what is not.
        if (typeof v !== "string") return bad("string");
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
          errors.push({ field: path, type: "Invalid", value: "<redacted>", detail: "illegal base64 data" });
          return undefined;
        }
        return v;
      default:
        if (typeof v !== "number" || !Number.isInteger(v)) return bad("integer");
        if (INT32.has(f.type) && (v < -(2 ** 31) || v >= 2 ** 31)) return bad("int32");
        if (UINT32.has(f.type) && (v < 0 || v >= 2 ** 32)) return bad("uint32");
        if (INT64.has(f.type) && !Number.isSafeInteger(v)) return bad("int64");
        return v;
    }
  }
}
