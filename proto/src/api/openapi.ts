// The OpenAPI v3 schemas of the kinds, generated from the API's protobuf descriptors (so a kind added
// to the table and the .proto files appears by itself): Kubernetes' schema names
// (`io.k8s.api.apps.v1.Deployment`), its field descriptions (field-docs.ts, else the .proto comment),
// `x-kubernetes-group-version-kind` on each kind, and the patch strategies and merge keys
// (merge-keys.ts) and list-map keys that kubectl reads to compute apply patches.
import { type DescriptorSetJson, type FieldDescriptorJson, type MessageDescriptorJson, readDescriptorSet } from "./descriptors.js";
import { COMMON_FIELDS, FIELD_DOCS, FIELD_ENUMS, LIST_MAP_KEYS } from "./field-docs.js";
import type { JsonObject } from "./json.js";
import { KIND_NAMES, KINDS, type KindInfo, type KindName } from "./kinds.js";
import { patchStrategyOf } from "./merge-keys.js";

type FieldDescriptor = FieldDescriptorJson;
type MessageDescriptor = MessageDescriptorJson;
/** The JSON form of a google.protobuf.FileDescriptorSet with source info, as `buf build` writes it. */
export type DocumentedDescriptorSet = DescriptorSetJson;

/** Kubernetes' Go package of the messages of each .proto file, as schema names carry it. */
const PACKAGES: { readonly [file: string]: string } = {
  "mk/v1/meta.proto": "io.k8s.apimachinery.pkg.apis.meta.v1",
  "mk/v1/core.proto": "io.k8s.api.core.v1",
  "mk/v1/service.proto": "io.k8s.api.core.v1",
  "mk/v1/apps.proto": "io.k8s.api.apps.v1",
  "mk/v1/batch.proto": "io.k8s.api.batch.v1",
  "mk/v1/coordination.proto": "io.k8s.api.coordination.v1",
  "mk/v1/discovery.proto": "io.k8s.api.discovery.v1",
};

const INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";

/** Fields mk keeps as strings that are Kubernetes' IntOrString, Quantity or Time (maps: their values). */
const SPECIAL: { readonly [messageField: string]: string } = {
  "RollingUpdateDeployment.maxSurge": INT_OR_STRING,
  "RollingUpdateDeployment.maxUnavailable": INT_OR_STRING,
  "HTTPGetAction.port": INT_OR_STRING,
  "TCPSocketAction.port": INT_OR_STRING,
  "ServicePort.targetPort": INT_OR_STRING,
  "EmptyDirVolumeSource.sizeLimit": QUANTITY,
  "ResourceRequirements.limits": QUANTITY,
  "ResourceRequirements.requests": QUANTITY,
  "NodeStatus.capacity": QUANTITY,
  "NodeStatus.allocatable": QUANTITY,
  "ObjectMeta.creationTimestamp": TIME,
  "ObjectMeta.deletionTimestamp": TIME,
};

/** The schemas of Kubernetes' own string types that SPECIAL refers to. */
const SPECIAL_SCHEMAS: { readonly [name: string]: JsonObject } = {
  // oneOf rather than a type, as Kubernetes' v3 documents have it: kubectl explain then names the
  // type (`<IntOrString>`, `map[string]Quantity`) instead of printing `string`.
  [INT_OR_STRING]: { format: "int-or-string", oneOf: [{ type: "integer" }, { type: "string" }], description: "IntOrString is a type that can hold an int32 or a string." },
  [QUANTITY]: {
    oneOf: [{ type: "string" }, { type: "number" }],
    description:
      "Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.",
  },
  [TIME]: { type: "string", format: "date-time", description: "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON." },
};

const SCALARS: { readonly [type: string]: JsonObject } = {
  TYPE_STRING: { type: "string" },
  TYPE_ENUM: { type: "string" },
  TYPE_BOOL: { type: "boolean" },
  TYPE_INT32: { type: "integer", format: "int32" },
  TYPE_SINT32: { type: "integer", format: "int32" },
  TYPE_UINT32: { type: "integer", format: "int32" },
  TYPE_INT64: { type: "integer", format: "int64" },
  TYPE_SINT64: { type: "integer", format: "int64" },
  TYPE_UINT64: { type: "integer", format: "int64" },
  TYPE_DOUBLE: { type: "number", format: "double" },
  TYPE_FLOAT: { type: "number", format: "double" },
  TYPE_BYTES: { type: "string", format: "byte" },
};

interface Message {
  desc: MessageDescriptor;
  /** Kubernetes' schema name: `io.k8s.api.apps.v1.Deployment`. */
  schemaName: string;
  comment: string;
  fieldComments: Map<string, string>;
}

export const schemaRef = (name: string): string => `#/components/schemas/${name}`;

export function groupVersionKind(info: KindInfo): JsonObject {
  const slash = info.apiVersion.indexOf("/");
  return slash < 0 ? { group: "", kind: info.kind, version: info.apiVersion } : { group: info.apiVersion.slice(0, slash), kind: info.kind, version: info.apiVersion.slice(slash + 1) };
}

function clean(comment: string | undefined): string {
  return (comment ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join(" ");
}

export class OpenApiSchemas {
  private readonly messages = new Map<string, Message>();

  constructor(set: DocumentedDescriptorSet) {
    for (const file of set.file) {
      const pkg = PACKAGES[file.name ?? ""];
      if (!pkg) continue;
      const top = file.messageType ?? [];
      const comments = new Map<string, string>();
      for (const loc of file.sourceCodeInfo?.location ?? []) {
        const p = loc.path ?? [];
        if (p[0] !== 4 || !loc.leadingComments) continue;
        if (p.length === 2) comments.set(`${p[1]}`, clean(loc.leadingComments));
        if (p.length === 4 && p[2] === 2) comments.set(`${p[1]}.${p[3]}`, clean(loc.leadingComments));
      }
      top.forEach((m, i) => {
        const fieldComments = new Map<string, string>();
        (m.field ?? []).forEach((f, j) => {
          const c = comments.get(`${i}.${j}`);
          if (c) fieldComments.set(f.jsonName ?? f.name, c);
        });
        const full = `.${file.package ?? ""}.${m.name}`;
        this.messages.set(full, { desc: m, schemaName: `${pkg}.${m.name}`, comment: comments.get(`${i}`) ?? "", fieldComments });
        for (const n of m.nestedType ?? []) this.messages.set(`${full}.${n.name}`, { desc: n, schemaName: "", comment: "", fieldComments: new Map() });
      });
    }
  }

  /** The schema name of a kind (`io.k8s.api.apps.v1.Deployment`). */
  schemaNameOf(kind: KindName): string {
    return this.messages.get(`.mk.v1.${kind}`)?.schemaName ?? kind;
  }

  /**
   * The component schemas a group version's document needs: its kinds (each with its GVK), their
   * lists, and every message they reach, by Kubernetes' schema names.
   */
  schemasFor(kinds: readonly KindInfo[]): { [name: string]: JsonObject } {
    const out: { [name: string]: JsonObject } = {};
    const kindByMessage = new Map<string, KindInfo>(kinds.map((k) => [`.mk.v1.${k.kind}`, k]));
    const pending = [...kindByMessage.keys()];
    const seen = new Set(pending);
    const reach = (typeName: string) => {
      if (!seen.has(typeName)) {
        seen.add(typeName);
        pending.push(typeName);
      }
    };
    while (pending.length > 0) {
      const full = pending.pop() ?? "";
      const m = this.messages.get(full);
      if (!m) continue;
      const kind = kindByMessage.get(full);
      out[m.schemaName] = this.messageSchema(m, kind, reach, out);
      if (kind) out[`${m.schemaName}List`] = this.listSchema(kind, m.schemaName);
    }
    out["io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"] ??= this.messageSchema(this.mustGet(".mk.v1.ListMeta"), undefined, reach, out);
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  }

  private mustGet(full: string): Message {
    const m = this.messages.get(full);
    if (!m) throw new Error(`the API's descriptors have no message ${full}`);
    return m;
  }

  private listSchema(info: KindInfo, itemName: string): JsonObject {
    return {
      type: "object",
      description: `${info.kind}List is a list of ${info.kind} objects.`,
      required: ["items"],
      properties: {
        apiVersion: { type: "string", description: COMMON_FIELDS.apiVersion ?? "" },
        items: { type: "array", description: `items is the list of ${info.kind} objects.`, items: { allOf: [{ $ref: schemaRef(itemName) }], default: {} } },
        kind: { type: "string", description: COMMON_FIELDS.kind ?? "" },
        metadata: { allOf: [{ $ref: schemaRef("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta") }], default: {}, description: COMMON_FIELDS.metadata ?? "" },
      },
      "x-kubernetes-group-version-kind": [{ ...groupVersionKind(info), kind: `${info.kind}List` }],
    };
  }

  private messageSchema(m: Message, kind: KindInfo | undefined, reach: (typeName: string) => void, out: { [name: string]: JsonObject }): JsonObject {
    const properties: JsonObject = {};
    for (const f of m.desc.field ?? []) {
      const json = f.jsonName ?? f.name;
      const key = `${m.desc.name}.${json}`;
      const common = kind ? COMMON_FIELDS[json] : undefined;
      const description = FIELD_DOCS[key] ?? common?.replace("%s", kind?.kind ?? "") ?? m.fieldComments.get(json) ?? "";
      const prop = this.fieldSchema(f, key, reach, out);
      if (description) prop.description = description;
      const values = FIELD_ENUMS[key];
      if (values) prop.enum = [...values];
      const strategy = patchStrategyOf(`.mk.v1.${m.desc.name}`, json);
      if (strategy?.mergeKey) prop["x-kubernetes-patch-merge-key"] = strategy.mergeKey;
      if (strategy) prop["x-kubernetes-patch-strategy"] = strategy.strategy;
      const mapKeys = LIST_MAP_KEYS[key];
      if (mapKeys) {
        prop["x-kubernetes-list-type"] = "map";
        prop["x-kubernetes-list-map-keys"] = [...mapKeys];
      }
      properties[json] = prop;
    }
    const schema: JsonObject = { type: "object" };
    const description = FIELD_DOCS[m.desc.name] ?? m.comment;
    if (description) schema.description = description;
    schema.properties = properties;
    if (kind) schema["x-kubernetes-group-version-kind"] = [groupVersionKind(kind)];
    return schema;
  }

  private fieldSchema(f: FieldDescriptor, key: string, reach: (typeName: string) => void, out: { [name: string]: JsonObject }): JsonObject {
    const special = SPECIAL[key];
    if (special) out[special] ??= SPECIAL_SCHEMAS[special] ?? {};
    const single = (field: FieldDescriptor): JsonObject => {
      if (special) return { allOf: [{ $ref: schemaRef(special) }] };
      if (field.type === "TYPE_MESSAGE" && field.typeName) {
        const target = this.messages.get(field.typeName);
        if (!target) return { type: "object" };
        reach(field.typeName);
        return { allOf: [{ $ref: schemaRef(target.schemaName) }], default: {} };
      }
      return { ...(SCALARS[field.type] ?? { type: "string" }) };
    };
    if (f.type === "TYPE_MESSAGE" && f.typeName) {
      const entry = this.messages.get(f.typeName)?.desc;
      if (entry?.options?.mapEntry) {
        const value = entry.field?.find((x) => x.name === "value");
        // A map's values name their type by a plain $ref (kubectl explain prints `map[string]Quantity`).
        const item = value ? single(value) : { type: "string" };
        const ref = Array.isArray(item.allOf) ? item.allOf[0] : undefined;
        return { type: "object", additionalProperties: ref ?? item };
      }
    }
    if (f.label === "LABEL_REPEATED") return { type: "array", items: single(f) };
    return single(f);
  }
}

/** Kinds grouped by group version (`apps/v1`), in the table's order. */
export function kindsByGroupVersion(): Map<string, KindInfo[]> {
  const out = new Map<string, KindInfo[]>();
  for (const k of KIND_NAMES) {
    const info = KINDS[k] as KindInfo;
    out.set(info.apiVersion, [...(out.get(info.apiVersion) ?? []), info]);
  }
  return out;
}

/** The schemas from the descriptors shipped in @mk/proto (buf's image keeps the .proto comments). */
export function loadOpenApiSchemas(): OpenApiSchemas {
  return new OpenApiSchemas(readDescriptorSet());
}
