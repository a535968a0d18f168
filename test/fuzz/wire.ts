// Protobuf wire format as a tree the fuzzer can break: a valid request is encoded, parsed here with
// the API's descriptors (@mk/proto/descriptor.json), one node is damaged (wrong wire type, unknown
// field number, broken UTF-8, an out-of-range varint, a duplicate, a short length), and the tree is
// written back. Each node knows its field path in Kubernetes' spelling, which the refusal must name.
import { type Descriptors, type FieldDescriptorJson, loadDescriptors, type MessageDescriptorJson } from "@mk/proto";

export const WIRE = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** One field occurrence. `children` when it is a message (map entries included). */
export interface WireNode {
  no: number;
  wireType: number;
  /** varint/fixed bytes as written, or a LEN field's payload when it has no children. */
  payload: Uint8Array;
  children?: WireNode[];
  /** Extra bytes claimed by the length prefix (a "short" field): 0 for a well-formed one. */
  lengthSkew?: number;
  desc?: FieldDescriptorJson;
  /** The field's path: `metadata.labels[app]`, `spec.containers[0].image`. */
  path: string;
  /** A map entry or a field of one: the API names its faults by the map (`metadata.labels`). */
  inMap?: boolean;
}

export class WireSchema {
  constructor(private readonly descriptors: Descriptors = loadDescriptors()) {}

  message(typeName: string): MessageDescriptorJson {
    const m = this.descriptors.messages.get(typeName);
    if (!m) throw new Error(`no message ${typeName} in the descriptors`);
    return m;
  }

  /** Parses a well-formed message of the type (the fuzzer only parses what ts-proto wrote). */
  parse(typeName: string, bytes: Uint8Array, path = ""): WireNode[] {
    const desc = this.message(typeName);
    const reader = new Reader(bytes);
    const nodes: WireNode[] = [];
    const seen = new Map<number, number>();
    while (!reader.done()) {
      const tag = reader.varint();
      const no = Number(tag >> 3n);
      const wireType = Number(tag & 7n);
      const f = desc.field?.find((x) => x.number === no);
      const index = seen.get(no) ?? 0;
      seen.set(no, index + 1);
      const fieldPath = this.childPath(typeName, path, f, index);
      if (wireType === WIRE.LEN) {
        const body = reader.bytes(Number(reader.varint()));
        if (f?.type === "TYPE_MESSAGE" && f.typeName) {
          const entry = this.message(f.typeName);
          const childPath = entry.options?.mapEntry ? `${path ? `${path}.` : ""}${f.jsonName ?? f.name}` : fieldPath;
          const children = this.parse(f.typeName, body, childPath);
          const node: WireNode = { no, wireType, payload: body, children, desc: f, path: fieldPath };
          if (entry.options?.mapEntry) {
            node.path = mapEntryPath(childPath, children);
            node.inMap = true;
            for (const c of children) c.inMap = true;
          }
          nodes.push(node);
        } else {
          nodes.push({ no, wireType, payload: body, desc: f, path: fieldPath });
        }
      } else {
        nodes.push({ no, wireType, payload: reader.scalar(wireType), desc: f, path: fieldPath });
      }
    }
    return nodes;
  }

  private childPath(typeName: string, path: string, f: FieldDescriptorJson | undefined, index: number): string {
    if (!f) return path;
    // The Object envelope and its kind are transport, not fields: `object.pod.metadata.name` is
    // `metadata.name`, as the API names it.
    if (typeName === ".mk.v1.Object") return "";
    if (f.name === "object" && f.typeName === ".mk.v1.Object") return "";
    const name = `${path ? `${path}.` : ""}${f.jsonName ?? f.name}`;
    return f.label === "LABEL_REPEATED" && !this.descriptors.messages.get(f.typeName ?? "")?.options?.mapEntry ? `${name}[${index}]` : name;
  }
}

/** A map entry's path is its map's with the key: `metadata.labels[app]`. */
function mapEntryPath(mapPath: string, entry: WireNode[]): string {
  const key = entry.find((n) => n.no === 1);
  const k = key ? new TextDecoder().decode(key.payload) : "";
  for (const n of entry) n.path = `${mapPath}[${k}]`;
  return `${mapPath}[${k}]`;
}

export function serialize(nodes: readonly WireNode[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const n of nodes) {
    parts.push(varint(BigInt(n.no) * 8n + BigInt(n.wireType)));
    if (n.wireType === WIRE.LEN) {
      const body = n.children ? serialize(n.children) : n.payload;
      parts.push(varint(BigInt(body.length + (n.lengthSkew ?? 0))), body);
    } else {
      parts.push(n.payload);
    }
  }
  return concat(parts);
}

export function varint(v: bigint): Uint8Array {
  let x = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    out.push(b);
  } while (x > 0n);
  return Uint8Array.from(out);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The field a fault of the node must be refused naming: a map's own path for its entries. */
export function faultField(n: WireNode): string {
  return n.inMap ? n.path.slice(0, n.path.lastIndexOf("[")) : n.path;
}

/** Every node of the tree, depth first. */
export function walk(nodes: readonly WireNode[], out: WireNode[] = []): WireNode[] {
  for (const n of nodes) {
    out.push(n);
    if (n.children) walk(n.children, out);
  }
  return out;
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new Error("truncated varint");
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
    }
  }
  bytes(n: number): Uint8Array {
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  scalar(wireType: number): Uint8Array {
    const start = this.pos;
    if (wireType === WIRE.VARINT) this.varint();
    else if (wireType === WIRE.I64) this.pos += 8;
    else if (wireType === WIRE.I32) this.pos += 4;
    else throw new Error(`unexpected wire type ${wireType}`);
    return this.buf.subarray(start, this.pos);
  }
}
