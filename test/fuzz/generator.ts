// The request generator: `generate(seed, n)` gives n invalid requests, reproducibly. A case is a
// typed request (any transport can encode it) and, for wire faults, the raw protobuf bytes that
// only the gRPC transport carries; either way it says which field the refusal must name.
import {
  BindRequest,
  CreateRequest,
  DeleteRequest,
  type KindName,
  KINDS,
  type KindTypes,
  ListRequest,
  UpdateRequest,
  UpdateScaleRequest,
  WatchRequest,
  wrap,
} from "@mk/proto";
import type { HttpCall, HttpCategory } from "./http-call.js";
import { type Category as SemanticCategory, MUTATORS, type ObjectMethod, type Tree } from "./mutations.js";
import { FUZZ_NAMESPACE, SEEDED_KINDS, seedName, tree, valid } from "./objects.js";
import { Rng } from "./rng.js";
import { concat, faultField, serialize, varint, WIRE, type WireNode, WireSchema, walk } from "./wire.js";

export type Request =
  | { method: "Create"; message: CreateRequest }
  | { method: "Update" | "UpdateStatus"; message: UpdateRequest }
  | { method: "UpdateScale"; message: UpdateScaleRequest }
  | { method: "Bind"; message: BindRequest }
  | { method: "Delete"; message: DeleteRequest }
  | { method: "List"; message: ListRequest }
  | { method: "Watch"; message: WatchRequest };
export type Method = Request["method"];

export type WireCategory = "unknown-field" | "wrong-wire-type" | "broken-utf8" | "out-of-range" | "duplicate-field" | "short-length" | "deep-nesting" | "two-kinds";
export type Category = SemanticCategory | WireCategory | HttpCategory | "selector-query" | "subresource" | "delete-options";

export interface FuzzCase {
  id: number;
  category: Category;
  /** The field the refusal must name, in the API's spelling (`spec.containers[0].image`). */
  field: string;
  /** Other words that name the same field in Kubernetes' messages (`label selector` for `labelSelector`). */
  aliases?: readonly string[];
  /** The typed request (gRPC); undefined for a fault only HTTP can carry (then `http` is set). */
  request?: Request;
  /** The request as gRPC bytes when they differ from encoding `request` (a wire fault). */
  protobuf?: Uint8Array;
  /** The request over HTTP (http-cases.ts): a case with it is the HTTP edge's, without it gRPC's. */
  http?: HttpCall;
  /** The one HTTP status that is right, when only one is (413, 415). */
  status?: number;
}

/** Protobuf type of each method's request, for the wire faults. */
const REQUEST_TYPES: Record<Method, string> = {
  Create: ".mk.v1.CreateRequest",
  Update: ".mk.v1.UpdateRequest",
  UpdateStatus: ".mk.v1.UpdateRequest",
  UpdateScale: ".mk.v1.UpdateScaleRequest",
  Bind: ".mk.v1.BindRequest",
  Delete: ".mk.v1.DeleteRequest",
  List: ".mk.v1.ListRequest",
  Watch: ".mk.v1.WatchRequest",
};

export function encodeRequest(r: Request): Uint8Array {
  switch (r.method) {
    case "Create":
      return CreateRequest.encode(r.message).finish();
    case "Update":
    case "UpdateStatus":
      return UpdateRequest.encode(r.message).finish();
    case "UpdateScale":
      return UpdateScaleRequest.encode(r.message).finish();
    case "Bind":
      return BindRequest.encode(r.message).finish();
    case "Delete":
      return DeleteRequest.encode(r.message).finish();
    case "List":
      return ListRequest.encode(r.message).finish();
    case "Watch":
      return WatchRequest.encode(r.message).finish();
  }
}

const WITH_STATUS: readonly KindName[] = ["Namespace", "Node", "Pod", "ReplicaSet", "Deployment"];

/** A valid object request: a fresh name for Create, the seed object for Update and UpdateStatus. */
function objectRequest(method: ObjectMethod, kind: KindName, obj: Tree): Request {
  const object = wrap(kind, typed(kind, obj));
  return method === "Create" ? { method, message: { object, dryRun: false } } : { method, message: { object, dryRun: false } };
}

/** The tree as the kind's message (ts-proto fills what the tree leaves out). */
function typed<K extends KindName>(kind: K, t: Tree): KindTypes[K] {
  return KINDS[kind].codec.fromPartial(t as unknown as KindTypes[K]);
}

function baseObject(method: ObjectMethod, kind: KindName, id: number): Tree {
  return tree(valid(kind, method === "Create" ? `fuzz-new-${id}` : seedName(kind)));
}

/** A valid request of any method, for a wire fault to damage (it must stay a no-op if undamaged: dry run). */
function validRequest(rng: Rng, id: number): Request {
  const kind = rng.pick(SEEDED_KINDS);
  const ns = KINDS[kind].namespaced ? FUZZ_NAMESPACE : "";
  switch (rng.int(8)) {
    case 0:
    case 1:
    case 2:
      return objectRequest("Create", kind, baseObject("Create", kind, id));
    case 3:
    case 4:
      return objectRequest(rng.next() < 0.5 || !WITH_STATUS.includes(kind) ? "Update" : "UpdateStatus", kind, baseObject("Update", kind, id));
    case 5:
      return { method: "List", message: { kind, namespace: ns, labelSelector: "app=fuzz", fieldSelector: "", limit: 10, continue: "" } };
    case 6:
      return { method: "Watch", message: { kind, namespace: ns, labelSelector: "app=fuzz", fieldSelector: "", resourceVersion: "", allowBookmarks: false } };
    default:
      return { method: "Delete", message: { kind, namespace: ns, name: seedName(kind), propagationPolicy: "Background", dryRun: true } };
  }
}

export function semantic(rng: Rng, id: number): FuzzCase {
  const m = rng.pick(MUTATORS);
  const kind = rng.pick(m.kinds);
  const method = rng.pick(m.methods.filter((x) => x !== "UpdateStatus" || WITH_STATUS.includes(kind)));
  const t = baseObject(method, kind, id);
  const field = m.apply(t, kind, rng);
  return { id, category: m.category, field, request: objectRequest(method, kind, t) };
}

const BAD_LABEL_SELECTORS = ["a=b=c", "!!", "a in (", "=x", "a notin b", "a,,b", "a in (x,", "Bad Key=1", "a=b c", `x=${"y".repeat(64)}`, "(a)"];
const BAD_FIELD_SELECTORS = ["foo.bar=baz", "metadata.name", "spec.nodeName=a=b", "=x", "metadata.name~x", "status.phase!", "a==b==c"];

export function query(rng: Rng, id: number): FuzzCase {
  const kind = rng.pick(SEEDED_KINDS);
  const ns = KINDS[kind].namespaced ? FUZZ_NAMESPACE : "";
  const list: ListRequest = { kind, namespace: ns, labelSelector: "", fieldSelector: "", limit: 0, continue: "" };
  const watch: WatchRequest = { kind, namespace: ns, labelSelector: "", fieldSelector: "", resourceVersion: "", allowBookmarks: false };
  let field: string;
  let aliases: string[] = [];
  switch (rng.int(6)) {
    case 0:
      list.labelSelector = watch.labelSelector = rng.pick(BAD_LABEL_SELECTORS);
      field = "labelSelector";
      aliases = ["label selector"];
      break;
    case 1:
      list.fieldSelector = watch.fieldSelector = rng.pick(BAD_FIELD_SELECTORS);
      field = "fieldSelector";
      aliases = ["field selector"];
      break;
    case 2:
      list.kind = watch.kind = rng.pick(["Nope", "pod", "", "Pods", "Deployment.apps"]);
      field = "kind";
      aliases = ["resource type"];
      break;
    case 3:
    case 4:
      list.continue = rng.pick(["garbage", "%%%", "eyJ4IjoxfQ==", "-1"]);
      field = "continue";
      return { id, category: "selector-query", field, request: { method: "List", message: list } };
    default:
      watch.resourceVersion = rng.pick(["abc", "-5", "1.5", "0x10", "99999999999999999999"]);
      field = "resourceVersion";
      return { id, category: "selector-query", field, request: { method: "Watch", message: watch } };
  }
  return rng.next() < 0.5
    ? { id, category: "selector-query", field, aliases, request: { method: "List", message: list } }
    : { id, category: "selector-query", field, aliases, request: { method: "Watch", message: watch } };
}

export function subresource(rng: Rng, id: number): FuzzCase {
  if (rng.next() < 0.5) {
    const kind = rng.pick(["ReplicaSet", "Deployment"] as const);
    const msg: UpdateScaleRequest = { kind, namespace: FUZZ_NAMESPACE, name: seedName(kind), replicas: rng.pick([-1, -(2 ** 31)]), resourceVersion: "" };
    if (rng.next() < 0.3) {
      msg.kind = rng.pick(["Pod", "Lease", "Nope", ""]);
      msg.replicas = 1;
      return { id, category: "subresource", field: "kind", aliases: ["resource type", "scale subresource"], request: { method: "UpdateScale", message: msg } };
    }
    return { id, category: "subresource", field: "spec.replicas", request: { method: "UpdateScale", message: msg } };
  }
  const msg: BindRequest = { namespace: FUZZ_NAMESPACE, name: seedName("Pod"), nodeName: rng.pick(["", "Bad_Node", "-x", "a".repeat(254), "sp ace"]), uid: "" };
  return { id, category: "subresource", field: "target.name", request: { method: "Bind", message: msg } };
}

export function deleteOptions(rng: Rng, id: number): FuzzCase {
  const kind = rng.pick(SEEDED_KINDS);
  const msg: DeleteRequest = { kind, namespace: KINDS[kind].namespaced ? FUZZ_NAMESPACE : "", name: seedName(kind), propagationPolicy: "", dryRun: false };
  switch (rng.int(3)) {
    case 0:
      msg.propagationPolicy = rng.pick(["Sideways", "background", "Now", " "]);
      return { id, category: "delete-options", field: "propagationPolicy", request: { method: "Delete", message: msg } };
    case 1:
      msg.preconditions = { uid: rng.pick(["not-the-uid", "00000000-0000-0000-0000-000000000000"]) };
      return { id, category: "delete-options", field: "preconditions.uid", aliases: ["UID in precondition"], request: { method: "Delete", message: msg } };
    default:
      msg.preconditions = { resourceVersion: rng.pick(["1", "abc", "-1"]) };
      return { id, category: "delete-options", field: "preconditions.resourceVersion", aliases: ["ResourceVersion in precondition"], request: { method: "Delete", message: msg } };
  }
}

const BROKEN_UTF8 = [
  [0xff],
  [0xc3, 0x28],
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate half
  [0xc0, 0xaf], // overlong "/"
  [0xe2, 0x82], // truncated
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0x80],
];

function messageParent(all: readonly WireNode[], rng: Rng): WireNode & { children: WireNode[] } {
  const withChildren = all.filter((n) => n.children !== undefined);
  return rng.pick(withChildren) as WireNode & { children: WireNode[] };
}

/** An unknown field's name: its number in its message (`spec.#99`); in a map entry, the map. */
const unknownName = (parent: WireNode, no: number) => (parent.inMap ? faultField(parent) : `${parent.path ? `${parent.path}.` : ""}#${no}`);

/** One wire fault in a valid request; undefined when the request has no node the fault fits. */
function wireFault(rng: Rng, schema: WireSchema, id: number): FuzzCase | undefined {
  const request = validRequest(rng, id);
  const root: WireNode = { no: 0, wireType: WIRE.LEN, payload: new Uint8Array(), path: "", children: schema.parse(REQUEST_TYPES[request.method], encodeRequest(request)) };
  const all = walk([root]);
  const fields = all.filter((n) => n !== root && n.desc !== undefined);
  const strings = fields.filter((n) => n.desc?.type === "TYPE_STRING");
  const varints = fields.filter((n) => n.wireType === WIRE.VARINT);
  const singular = fields.filter((n) => n.desc?.label !== "LABEL_REPEATED" && !n.desc?.typeName?.includes("Entry"));
  const category = rng.pick<WireCategory>(["unknown-field", "wrong-wire-type", "broken-utf8", "out-of-range", "duplicate-field", "short-length", "deep-nesting", "two-kinds"]);
  let field: string;
  switch (category) {
    case "unknown-field": {
      const parent = messageParent(all, rng);
      // A number the message does not have (the root is the request, whose type the schema knows).
      const known = new Set((parent.desc?.typeName ? schema.message(parent.desc.typeName) : schema.message(REQUEST_TYPES[request.method])).field?.map((f) => f.number));
      const no = rng.pick([99, 1000, 536_870_911, 15, 16, 17].filter((n) => !known.has(n)));
      const wireType = rng.pick([WIRE.VARINT, WIRE.LEN, WIRE.I32, WIRE.I64]);
      const payload = wireType === WIRE.VARINT ? varint(7n) : wireType === WIRE.I32 ? new Uint8Array(4) : wireType === WIRE.I64 ? new Uint8Array(8) : new TextEncoder().encode("surprise");
      parent.children.splice(rng.int(parent.children.length + 1), 0, { no, wireType, payload, path: "" });
      field = unknownName(parent, no);
      break;
    }
    case "wrong-wire-type": {
      const n = rng.pick(fields);
      if (n.wireType === WIRE.LEN) {
        n.wireType = rng.pick([WIRE.VARINT, WIRE.I32, WIRE.I64]);
        n.children = undefined;
        n.payload = n.wireType === WIRE.VARINT ? varint(1n) : new Uint8Array(n.wireType === WIRE.I32 ? 4 : 8);
      } else {
        n.wireType = WIRE.LEN;
        n.payload = new TextEncoder().encode("text");
      }
      field = faultField(n);
      break;
    }
    case "broken-utf8": {
      if (strings.length === 0) return undefined;
      const n = rng.pick(strings);
      const bad = Uint8Array.from(rng.pick(BROKEN_UTF8));
      const at = rng.int(n.payload.length + 1);
      n.payload = concat([n.payload.subarray(0, at), bad, n.payload.subarray(at)]);
      field = faultField(n);
      break;
    }
    case "out-of-range": {
      const candidates = varints.filter((n) => ["TYPE_INT32", "TYPE_BOOL", "TYPE_INT64"].includes(n.desc?.type ?? ""));
      if (candidates.length === 0) return undefined;
      const n = rng.pick(candidates);
      const type = n.desc?.type;
      n.payload = varint(type === "TYPE_BOOL" ? rng.pick([2n, 255n]) : type === "TYPE_INT32" ? rng.pick([2n ** 31n, 2n ** 40n, 2n ** 63n]) : rng.pick([2n ** 53n + 1n, 2n ** 62n]));
      field = faultField(n);
      break;
    }
    case "duplicate-field": {
      if (singular.length === 0) return undefined;
      const n = rng.pick(singular);
      const parent = all.find((p) => p.children?.includes(n));
      if (!parent?.children) return undefined;
      parent.children.splice(parent.children.indexOf(n) + 1, 0, structuredClone(n));
      field = faultField(n);
      break;
    }
    case "short-length": {
      // The last field of its message: a length running past it runs past the message's end. (An
      // earlier field's would swallow the next field's tag and read on from a wrong place.)
      const lens = all.filter((p) => p.children !== undefined && p.children.length > 0).map((p) => p.children?.[p.children.length - 1] as WireNode);
      const last = lens.filter((n) => n.wireType === WIRE.LEN && n.desc !== undefined);
      if (last.length === 0) return undefined;
      const n = rng.pick(last);
      n.lengthSkew = rng.pick([1, 7, 1000, 2 ** 31]);
      field = faultField(n);
      break;
    }
    case "deep-nesting": {
      const parent = messageParent(all, rng);
      const no = 4242;
      const depth = rng.pick([200, 2000, 20_000]);
      let payload: Uint8Array;
      let wireType: number;
      if (rng.next() < 0.5) {
        // groups: start-group tags nested `depth` deep, then as many end-group tags
        wireType = WIRE.SGROUP;
        const start = varint(BigInt(no) * 8n + 3n);
        const end = varint(BigInt(no) * 8n + 4n);
        payload = concat([...Array.from({ length: depth - 1 }, () => start), ...Array.from({ length: depth }, () => end)]);
      } else {
        wireType = WIRE.LEN;
        payload = new Uint8Array();
        for (let i = 0; i < Math.min(depth, 2000); i++) payload = concat([varint(BigInt(no) * 8n + 2n), varint(BigInt(payload.length)), payload]);
      }
      parent.children.splice(rng.int(parent.children.length + 1), 0, { no, wireType, payload, path: "" });
      field = unknownName(parent, no);
      break;
    }
    case "two-kinds": {
      const object = all.find((n) => n.desc?.typeName === ".mk.v1.Object");
      if (!object?.children) return undefined;
      const other = rng.pick(SEEDED_KINDS.filter((k) => object.children?.[0]?.no !== kindCaseNumber(schema, k)));
      object.children.push({ no: kindCaseNumber(schema, other), wireType: WIRE.LEN, payload: KINDS[other].codec.encode(valid(other, "second") as never).finish(), path: "" });
      field = "object";
      break;
    }
  }
  return { id, category, field, request, protobuf: serialize(root.children ?? []) };
}

/** The field number of the kind's case in `Object` (api.proto). */
function kindCaseNumber(schema: WireSchema, kind: KindName): number {
  const f = schema.message(".mk.v1.Object").field?.find((x) => x.jsonName === KINDS[kind].oneof);
  if (!f) throw new Error(`Object has no case for ${kind}`);
  return f.number;
}

export interface GenerateOptions {
  /** Leave out faults only the gRPC transport can carry (raw protobuf). */
  semanticOnly?: boolean;
}

/** n invalid requests from the seed: about 45% semantic faults, 35% wire faults, the rest other methods. */
export function* generate(seed: number, n: number, options: GenerateOptions = {}): Generator<FuzzCase> {
  const rng = new Rng(seed);
  const schema = new WireSchema();
  for (let id = 0; id < n; ) {
    const roll = rng.next();
    let c: FuzzCase | undefined;
    if (roll < 0.45) c = semantic(rng, id);
    else if (roll < 0.8) c = options.semanticOnly ? undefined : wireFault(rng, schema, id);
    else if (roll < 0.88) c = query(rng, id);
    else if (roll < 0.94) c = subresource(rng, id);
    else c = deleteOptions(rng, id);
    if (c === undefined) continue;
    id++;
    yield c;
  }
}
