// Request bodies in Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf), read into
// Kubernetes' JSON so that they take the same path as JSON bodies (schema check, decode, admission).
// client-go sends its typed clients' writes this way and does not fall back to JSON: `kubectl
// create deployment` posts a protobuf Deployment, `kubectl drain` a protobuf policy/v1 Eviction,
// `kubectl auth can-i` a SelfSubjectAccessReview, `kubectl create configmap|secret` theirs.
// The body is "k8s\0" then a runtime.Unknown {typeMeta{apiVersion, kind}, raw}; raw is the object
// in the k8s.io/api generated.proto messages, whose field numbers are tabled below for the kinds
// kubectl's typed writes send. gogo-protobuf writes every optional scalar even when empty, so empty
// values are dropped; a non-empty field this table does not know is refused naming its number.
import type { Json, JsonObject } from "@mk/proto/api";
import { BadRequestError } from "@mk/proto/client";

export const PROTOBUF = "application/vnd.kubernetes.protobuf";

/** Whether a Content-Type names Kubernetes' protobuf encoding. */
export function isProtobuf(contentType: string | string[] | undefined): boolean {
  return (typeof contentType === "string" ? contentType : "").split(";")[0]?.trim().toLowerCase() === PROTOBUF;
}

type FieldType =
  | "string"
  | "bytes"
  | "bool"
  | "int"
  | { message: string }
  | { map: "string" | "bytes" | { message: string } }
  | { repeated: "string" | { message: string } };

/** A message: field number → [JSON name, type]. */
type MessageTable = { readonly [n: number]: readonly [string, FieldType] };

const M = (message: string) => ({ message });
const LIST = (message: string) => ({ repeated: { message } });
const STRINGS = { repeated: "string" } as const;
const STRING_MAP = { map: "string" } as const;

/** k8s.io/api (apps/v1, core/v1, policy/v1) and apimachinery meta/v1 messages, by their field numbers. */
const MESSAGES: { readonly [name: string]: MessageTable } = {
  ObjectMeta: {
    1: ["name", "string"],
    2: ["generateName", "string"],
    3: ["namespace", "string"],
    4: ["selfLink", "string"],
    5: ["uid", "string"],
    6: ["resourceVersion", "string"],
    7: ["generation", "int"],
    8: ["creationTimestamp", M("Time")],
    9: ["deletionTimestamp", M("Time")],
    10: ["deletionGracePeriodSeconds", "int"],
    11: ["labels", STRING_MAP],
    12: ["annotations", STRING_MAP],
    13: ["ownerReferences", LIST("OwnerReference")],
    14: ["finalizers", STRINGS],
  },
  OwnerReference: { 1: ["kind", "string"], 2: ["name", "string"], 3: ["uid", "string"], 4: ["apiVersion", "string"], 6: ["controller", "bool"], 7: ["blockOwnerDeletion", "bool"] },
  LabelSelector: { 1: ["matchLabels", STRING_MAP], 2: ["matchExpressions", LIST("LabelSelectorRequirement")] },
  LabelSelectorRequirement: { 1: ["key", "string"], 2: ["operator", "string"], 3: ["values", STRINGS] },
  Deployment: { 1: ["metadata", M("ObjectMeta")], 2: ["spec", M("DeploymentSpec")], 3: ["status", M("Status")] },
  DeploymentSpec: {
    1: ["replicas", "int"],
    2: ["selector", M("LabelSelector")],
    3: ["template", M("PodTemplateSpec")],
    4: ["strategy", M("DeploymentStrategy")],
    5: ["minReadySeconds", "int"],
    6: ["revisionHistoryLimit", "int"],
    7: ["paused", "bool"],
    9: ["progressDeadlineSeconds", "int"],
  },
  DeploymentStrategy: { 1: ["type", "string"], 2: ["rollingUpdate", M("RollingUpdateDeployment")] },
  RollingUpdateDeployment: { 1: ["maxUnavailable", M("IntOrString")], 2: ["maxSurge", M("IntOrString")] },
  PodTemplateSpec: { 1: ["metadata", M("ObjectMeta")], 2: ["spec", M("PodSpec")] },
  PodSpec: {
    1: ["volumes", LIST("Volume")],
    2: ["containers", LIST("Container")],
    3: ["restartPolicy", "string"],
    4: ["terminationGracePeriodSeconds", "int"],
    5: ["activeDeadlineSeconds", "int"],
    6: ["dnsPolicy", "string"],
    7: ["nodeSelector", STRING_MAP],
    8: ["serviceAccountName", "string"],
    9: ["serviceAccount", "string"],
    10: ["nodeName", "string"],
    11: ["hostNetwork", "bool"],
    12: ["hostPID", "bool"],
    13: ["hostIPC", "bool"],
    14: ["securityContext", M("Empty")],
    16: ["hostname", "string"],
    17: ["subdomain", "string"],
    19: ["schedulerName", "string"],
    20: ["initContainers", LIST("Container")],
    22: ["tolerations", LIST("Toleration")],
    24: ["priorityClassName", "string"],
  },
  Container: {
    1: ["name", "string"],
    2: ["image", "string"],
    3: ["command", STRINGS],
    4: ["args", STRINGS],
    5: ["workingDir", "string"],
    6: ["ports", LIST("ContainerPort")],
    7: ["env", LIST("EnvVar")],
    8: ["resources", M("ResourceRequirements")],
    9: ["volumeMounts", LIST("VolumeMount")],
    13: ["terminationMessagePath", "string"],
    14: ["imagePullPolicy", "string"],
    16: ["stdin", "bool"],
    17: ["stdinOnce", "bool"],
    18: ["tty", "bool"],
    20: ["terminationMessagePolicy", "string"],
  },
  ContainerPort: { 1: ["name", "string"], 2: ["hostPort", "int"], 3: ["containerPort", "int"], 4: ["protocol", "string"], 5: ["hostIP", "string"] },
  EnvVar: { 1: ["name", "string"], 2: ["value", "string"] },
  ResourceRequirements: { 1: ["limits", { map: M("Quantity") }], 2: ["requests", { map: M("Quantity") }] },
  VolumeMount: { 1: ["name", "string"], 2: ["readOnly", "bool"], 3: ["mountPath", "string"], 4: ["subPath", "string"] },
  Volume: { 1: ["name", "string"] },
  Toleration: { 1: ["key", "string"], 2: ["operator", "string"], 3: ["value", "string"], 4: ["effect", "string"], 5: ["tolerationSeconds", "int"] },
  Namespace: { 1: ["metadata", M("ObjectMeta")], 2: ["spec", M("NamespaceSpec")], 3: ["status", M("Status")] },
  NamespaceSpec: { 1: ["finalizers", STRINGS] },
  ConfigMap: { 1: ["metadata", M("ObjectMeta")], 2: ["data", STRING_MAP], 3: ["binaryData", { map: "bytes" }], 4: ["immutable", "bool"] },
  Secret: { 1: ["metadata", M("ObjectMeta")], 2: ["data", { map: "bytes" }], 3: ["type", "string"], 4: ["stringData", STRING_MAP], 5: ["immutable", "bool"] },
  Eviction: { 1: ["metadata", M("ObjectMeta")], 2: ["deleteOptions", M("DeleteOptions")] },
  DeleteOptions: { 1: ["gracePeriodSeconds", "int"], 2: ["preconditions", M("Preconditions")], 3: ["orphanDependents", "bool"], 4: ["propagationPolicy", "string"], 5: ["dryRun", STRINGS] },
  Preconditions: { 1: ["uid", "string"], 2: ["resourceVersion", "string"] },
  // authorization.k8s.io/v1, which `kubectl auth can-i` posts.
  SelfSubjectAccessReview: { 1: ["metadata", M("ObjectMeta")], 2: ["spec", M("SelfSubjectAccessReviewSpec")], 3: ["status", M("Status")] },
  SelfSubjectAccessReviewSpec: { 1: ["resourceAttributes", M("ResourceAttributes")], 2: ["nonResourceAttributes", M("NonResourceAttributes")] },
  ResourceAttributes: { 1: ["namespace", "string"], 2: ["verb", "string"], 3: ["group", "string"], 4: ["version", "string"], 5: ["resource", "string"], 6: ["subresource", "string"], 7: ["name", "string"] },
  NonResourceAttributes: { 1: ["path", "string"], 2: ["verb", "string"] },
  // …and the SelfSubjectRulesReview of `kubectl auth can-i --list`.
  SelfSubjectRulesReview: { 1: ["metadata", M("ObjectMeta")], 2: ["spec", M("SelfSubjectRulesReviewSpec")], 3: ["status", M("Status")] },
  SelfSubjectRulesReviewSpec: { 1: ["namespace", "string"] },
  // A status is the server's to write: a create's is dropped whatever it holds.
  Status: {},
  // A struct mk does not serve: accepted only empty.
  Empty: {},
};

/** Special messages read into their JSON forms. */
const SPECIAL = new Set(["Time", "IntOrString", "Quantity"]);

interface Field {
  n: number;
  wire: number;
  varint: bigint;
  bytes: Uint8Array;
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly what: string,
  ) {}

  varint(): bigint {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = this.buf[this.pos++];
      if (b === undefined || shift > 63n) throw new BadRequestError(`the protobuf body is truncated or malformed (${this.what})`);
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
  }

  fields(): Field[] {
    const out: Field[] = [];
    while (this.pos < this.buf.length) {
      const key = Number(this.varint());
      const n = key >>> 3;
      const wire = key & 7;
      if (wire === 0) out.push({ n, wire, varint: this.varint(), bytes: new Uint8Array() });
      else if (wire === 2) {
        const len = Number(this.varint());
        if (this.pos + len > this.buf.length) throw new BadRequestError(`the protobuf body is truncated (${this.what})`);
        out.push({ n, wire, varint: 0n, bytes: this.buf.subarray(this.pos, this.pos + len) });
        this.pos += len;
      } else if (wire === 1) {
        this.pos += 8;
        out.push({ n, wire, varint: 0n, bytes: new Uint8Array() });
      } else if (wire === 5) {
        this.pos += 4;
        out.push({ n, wire, varint: 0n, bytes: new Uint8Array() });
      } else throw new BadRequestError(`the protobuf body has an unsupported wire type ${wire} (${this.what})`);
    }
    return out;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

function signed64(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

function special(name: string, bytes: Uint8Array, path: string): Json | undefined {
  const fields = new Reader(bytes, path).fields();
  if (name === "Time") {
    const seconds = fields.find((f) => f.n === 1);
    if (!seconds) return undefined;
    return new Date(signed64(seconds.varint) * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  }
  if (name === "Quantity") {
    const s = fields.find((f) => f.n === 1);
    return s ? utf8.decode(s.bytes) : undefined;
  }
  // IntOrString: type 0 is the int, 1 the string.
  const type = Number(fields.find((f) => f.n === 1)?.varint ?? 0n);
  if (type === 1) return utf8.decode(fields.find((f) => f.n === 3)?.bytes ?? new Uint8Array());
  return signed64(fields.find((f) => f.n === 2)?.varint ?? 0n);
}

function fieldValue(type: "string" | "bytes" | "bool" | "int" | { message: string }, f: Field, path: string): Json | undefined {
  if (typeof type === "object") return messageValue(type.message, f.bytes, path);
  switch (type) {
    case "string": {
      const s = utf8.decode(f.bytes);
      return s === "" ? undefined : s;
    }
    case "bytes":
      return f.bytes.length === 0 ? undefined : Buffer.from(f.bytes).toString("base64");
    case "bool":
      return f.varint !== 0n ? true : undefined;
    case "int": {
      const v = signed64(f.varint);
      return v === 0 ? undefined : v;
    }
  }
}

function messageValue(name: string, bytes: Uint8Array, path: string): Json | undefined {
  if (SPECIAL.has(name)) return special(name, bytes, path);
  const table = MESSAGES[name];
  if (name === "Status") return undefined;
  if (!table) throw new BadRequestError(`the protobuf body holds a ${name} at ${path}, which mk does not read`);
  const out: JsonObject = {};
  for (const f of new Reader(bytes, path).fields()) {
    const entry = table[f.n];
    if (!entry) {
      if (f.varint === 0n && f.bytes.length === 0) continue;
      throw new BadRequestError(`the protobuf body sets field ${f.n} of ${name} at ${path || "the object"}, which mk does not support`);
    }
    const [json, type] = entry;
    const p = path ? `${path}.${json}` : json;
    if (typeof type === "object" && "repeated" in type) {
      const item = type.repeated === "string" ? utf8.decode(f.bytes) : messageValue(type.repeated.message, f.bytes, `${p}[${Array.isArray(out[json]) ? (out[json] as Json[]).length : 0}]`);
      const list = Array.isArray(out[json]) ? (out[json] as Json[]) : [];
      list.push(item ?? {});
      out[json] = list;
    } else if (typeof type === "object" && "map" in type) {
      const entryFields = new Reader(f.bytes, p).fields();
      const key = utf8.decode(entryFields.find((x) => x.n === 1)?.bytes ?? new Uint8Array());
      const raw = entryFields.find((x) => x.n === 2);
      const map = (out[json] as JsonObject | undefined) ?? {};
      const v = raw ? fieldValue(type.map, raw, `${p}[${key}]`) : undefined;
      map[key] = v ?? (type.map === "string" ? "" : null);
      out[json] = map;
    } else {
      const v = fieldValue(type, f, p);
      if (v !== undefined) out[json] = v;
    }
  }
  return name === "Empty" ? (Object.keys(out).length === 0 ? undefined : out) : out;
}

/** A protobuf body ("k8s\0" + runtime.Unknown) as the object in Kubernetes' JSON, apiVersion and kind set. */
export function protobufToJson(body: Uint8Array): JsonObject {
  const magic = [0x6b, 0x38, 0x73, 0x00];
  if (body.length < 4 || magic.some((b, i) => body[i] !== b)) throw new BadRequestError(`the ${PROTOBUF} body does not start with the "k8s\\0" envelope`);
  const unknown = new Reader(body.subarray(4), "runtime.Unknown").fields();
  const typeMeta = new Reader(unknown.find((f) => f.n === 1)?.bytes ?? new Uint8Array(), "typeMeta").fields();
  const apiVersion = utf8.decode(typeMeta.find((f) => f.n === 1)?.bytes ?? new Uint8Array());
  const kind = utf8.decode(typeMeta.find((f) => f.n === 2)?.bytes ?? new Uint8Array());
  const encoding = utf8.decode(unknown.find((f) => f.n === 3)?.bytes ?? new Uint8Array());
  if (encoding) throw new BadRequestError(`the protobuf body's content encoding "${encoding}" is not supported`);
  if (!MESSAGES[kind] || kind === "Status" || kind === "Empty") throw new BadRequestError(`mk reads ${PROTOBUF} bodies of ${Object.keys(MESSAGES).filter((k) => /^(Deployment|Namespace|ConfigMap|Secret|Eviction|DeleteOptions|SelfSubjectAccessReview|SelfSubjectRulesReview)$/.test(k)).join(", ")}, not ${kind || "(no kind)"}: send JSON`);
  const object = (messageValue(kind, unknown.find((f) => f.n === 2)?.bytes ?? new Uint8Array(), "") as JsonObject | undefined) ?? {};
  return { apiVersion, kind, ...object };
}
