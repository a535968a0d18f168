// The strict decode of requests. ts-proto's decoders are lenient as protobuf allows: they skip
// unknown field numbers and fields of the wrong wire type, replace broken UTF-8 with U+FFFD, wrap
// out-of-range numbers, and let a repeated singular field or a second oneof case overwrite the
// first. Each would change what a client asked for without telling it, so every request is first
// checked against the API's descriptors here and refused with the field named
// (`metadata.labels[app]: Invalid value: must be valid UTF-8`), as Kubernetes' strict field
// validation refuses unknown and duplicate JSON fields.
import { type ServerInterceptor, ServerInterceptingCall, ServerListenerBuilder, type ServiceDefinition } from "@grpc/grpc-js";
import { type Descriptors, type FieldDescriptorJson as FieldDesc, loadDescriptors } from "@mk/proto";
import { MAX_STRING_BYTES } from "@mk/proto/api";
import { type FieldError, InvalidError, toServiceError } from "@mk/proto/client";

/** No string of the API needs more (the HTTP edge's schema check refuses a longer one too). */
export { MAX_STRING_BYTES };
/**
 * An object's limit: above every kind's own data limit (a ConfigMap's or Secret's 1 MiB, which its
 * strategy refuses naming the field), under etcd's 1.5 MiB request limit with room for the server's
 * own fields.
 */
export const MAX_OBJECT_BYTES = 1024 * 1024 + 256 * 1024;
/** Enough errors to act on; a broken request stops being read after these. */
const MAX_ERRORS = 20;

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

function wireTypeOf(type: string): number {
  switch (type) {
    case "TYPE_STRING":
    case "TYPE_BYTES":
    case "TYPE_MESSAGE":
      return LEN;
    case "TYPE_DOUBLE":
    case "TYPE_FIXED64":
    case "TYPE_SFIXED64":
      return I64;
    case "TYPE_FLOAT":
    case "TYPE_FIXED32":
    case "TYPE_SFIXED32":
      return I32;
    default:
      return VARINT;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A request refused by the check; the interceptor answers it instead of the handler. */
export class WireRejection {
  constructor(
    readonly typeName: string,
    readonly errors: FieldError[],
  ) {}
}

export class WireChecker {
  /** Each message's fields by number, built on first use. */
  private readonly fieldIndex = new Map<string, Map<number, FieldDesc>>();

  constructor(private readonly descriptors: Descriptors = loadDescriptors()) {}

  private fieldOf(typeName: string, desc: { field?: FieldDesc[] }, no: number): FieldDesc | undefined {
    let index = this.fieldIndex.get(typeName);
    if (!index) {
      index = new Map((desc.field ?? []).map((f) => [f.number, f]));
      this.fieldIndex.set(typeName, index);
    }
    return index.get(no);
  }

  /** The request type of a method (`/mk.v1.Resources/Create` → `.mk.v1.CreateRequest`). */
  inputType(path: string): string | undefined {
    return this.descriptors.inputs.get(path);
  }

  /** Every fault of a request of the type (`.mk.v1.CreateRequest`); empty when it is well formed. */
  check(typeName: string, bytes: Uint8Array): FieldError[] {
    const errors: FieldError[] = [];
    this.message(typeName, bytes, 0, bytes.length, "", errors);
    return errors;
  }

  private message(typeName: string, buf: Uint8Array, start: number, end: number, path: string, errors: FieldError[]): void {
    const desc = this.descriptors.messages.get(typeName);
    if (!desc) return;
    const seen = new Map<number, number>();
    const oneofSet = new Map<number, string>();
    const mapKeys = new Map<number, Set<string>>();
    let pos = start;
    while (pos < end && errors.length < MAX_ERRORS) {
      let tag: number;
      [tag, pos] = readNumber(buf, pos, end, path, errors);
      if (pos < 0) return;
      const no = Math.floor(tag / 8);
      const wireType = tag % 8;
      const f = this.fieldOf(typeName, desc, no);
      if (!f) {
        errors.push({ field: `${path ? `${path}.` : ""}#${no}`, type: "Unknown", detail: `field number ${no} is not part of ${typeName.slice(1)}` });
        return; // the rest of this message cannot be trusted to be what the client meant
      }
      const index = seen.get(no) ?? 0;
      seen.set(no, index + 1);
      const entry = f.typeName ? this.descriptors.messages.get(f.typeName) : undefined;
      const isMap = entry?.options?.mapEntry === true;
      const repeated = f.label === "LABEL_REPEATED";
      const fieldPath = this.childPath(typeName, path, f, repeated && !isMap ? index : undefined);
      const expected = wireTypeOf(f.type);
      const packed = repeated && expected !== LEN && wireType === LEN;
      if (wireType !== expected && !packed) {
        errors.push({ field: fieldPath, type: "Invalid", detail: `wire type ${wireType} where a ${f.type.slice(5).toLowerCase()} field has ${expected}` });
        return;
      }
      if (!repeated && index > 0) {
        errors.push({ field: fieldPath, type: "Duplicate", detail: "the field appears more than once in the message" });
      }
      if (f.oneofIndex !== undefined && !f.proto3Optional) {
        const other = oneofSet.get(f.oneofIndex);
        if (other !== undefined && other !== f.name) {
          errors.push({ field: path || "object", type: "Invalid", detail: `may set one of ${desc.oneofDecl?.[f.oneofIndex]?.name ?? "oneof"} only, not both ${other} and ${f.jsonName ?? f.name}` });
        }
        oneofSet.set(f.oneofIndex, f.jsonName ?? f.name);
      }
      if (wireType === LEN) {
        let len: number;
        [len, pos] = readNumber(buf, pos, end, fieldPath, errors);
        if (pos < 0) return;
        if (pos + len > end) {
          errors.push({ field: fieldPath, type: "Invalid", detail: `length ${len} runs past the end of the message` });
          return;
        }
        const bodyEnd = pos + len;
        if (packed) this.packed(f, buf, pos, bodyEnd, fieldPath, errors);
        else if (f.type === "TYPE_STRING") this.string(buf, pos, bodyEnd, fieldPath, errors);
        else if (f.type === "TYPE_MESSAGE" && f.typeName) {
          if (f.typeName === ".mk.v1.Object") {
            // Its fields first: a 2 MiB string is named as that field, not as a large object.
            const before = errors.length;
            this.message(f.typeName, buf, pos, bodyEnd, fieldPath, errors);
            if (errors.length === before && bodyEnd - pos > MAX_OBJECT_BYTES) {
              errors.push({ field: "object", type: "TooLong", detail: `must have at most ${MAX_OBJECT_BYTES} bytes` });
            }
          } else if (isMap) {
            const keys = mapKeys.get(no) ?? new Set<string>();
            mapKeys.set(no, keys);
            this.mapEntry(f.typeName, buf, pos, bodyEnd, fieldPath, keys, errors);
          }
          else this.message(f.typeName, buf, pos, bodyEnd, fieldPath, errors);
        }
        pos = bodyEnd;
      } else if (wireType === VARINT) {
        let v: bigint;
        [v, pos] = readVarint(buf, pos, end, fieldPath, errors);
        if (pos < 0) return;
        const range = outOfRange(f.type, v);
        if (range) errors.push({ field: fieldPath, type: "Invalid", value: String(BigInt.asIntN(64, v)), detail: range });
      } else {
        pos += wireType === I64 ? 8 : 4;
        if (pos > end) {
          errors.push({ field: fieldPath, type: "Invalid", detail: "the value runs past the end of the message" });
          return;
        }
      }
    }
  }

  private string(buf: Uint8Array, start: number, end: number, path: string, errors: FieldError[]): void {
    if (end - start > MAX_STRING_BYTES) {
      errors.push({ field: path, type: "TooLong", detail: `may not be longer than ${MAX_STRING_BYTES} bytes` });
      return;
    }
    for (let i = start; i < end; i++) {
      if ((buf[i] ?? 0) > 0x7f) {
        try {
          utf8.decode(buf.subarray(start, end));
        } catch {
          errors.push({ field: path, type: "Invalid", detail: "must be valid UTF-8" });
        }
        return;
      }
    }
  }

  /** A map entry: its faults are named by its key (`metadata.labels[app]`), or by the map when the key is the fault. */
  private mapEntry(typeName: string, buf: Uint8Array, start: number, end: number, mapPath: string, keys: Set<string>, errors: FieldError[]): void {
    const found: FieldError[] = [];
    this.message(typeName, buf, start, end, "", found);
    const key = found.length === 0 ? this.entryKey(buf, start, end) : undefined;
    if (key !== undefined && keys.has(key)) {
      errors.push({ field: `${mapPath}[${key}]`, type: "Duplicate", detail: "the key appears more than once in the map" });
    }
    if (key !== undefined) keys.add(key);
    for (const e of found) errors.push({ ...e, field: mapPath });
  }

  /** The entry's key (field 1), "" when absent. Called on a well-formed entry only. */
  private entryKey(buf: Uint8Array, start: number, end: number): string {
    let pos = start;
    const scratch: FieldError[] = [];
    while (pos < end) {
      let tag: number;
      [tag, pos] = readNumber(buf, pos, end, "", scratch);
      if (pos < 0 || tag % 8 !== LEN) return "";
      let len: number;
      [len, pos] = readNumber(buf, pos, end, "", scratch);
      if (pos < 0) return "";
      if (Math.floor(tag / 8) === 1) return utf8.decode(buf.subarray(pos, pos + len));
      pos += len;
    }
    return "";
  }

  private packed(f: FieldDesc, buf: Uint8Array, start: number, end: number, path: string, errors: FieldError[]): void {
    const wt = wireTypeOf(f.type);
    let pos = start;
    while (pos < end) {
      if (wt !== VARINT) {
        pos += wt === I64 ? 8 : 4;
        continue;
      }
      let v: bigint;
      [v, pos] = readVarint(buf, pos, end, path, errors);
      if (pos < 0) return;
      const range = outOfRange(f.type, v);
      if (range) errors.push({ field: path, type: "Invalid", value: String(BigInt.asIntN(64, v)), detail: range });
    }
    if (pos > end) errors.push({ field: path, type: "Invalid", detail: "the values run past the end of the field" });
  }

  /** The API's spelling of a field's path; `Object` and its kind are envelope, not fields. */
  private childPath(typeName: string, path: string, f: FieldDesc, index: number | undefined): string {
    if (typeName === ".mk.v1.Object" || f.typeName === ".mk.v1.Object") return "";
    const name = `${path ? `${path}.` : ""}${f.jsonName ?? f.name}`;
    return index === undefined ? name : `${name}[${index}]`;
  }
}

/** A tag or a length as a number (past 2^53 it is imprecise, and past any buffer's end anyway). */
function readNumber(buf: Uint8Array, pos: number, end: number, path: string, errors: FieldError[]): [number, number] {
  let result = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) break;
    const b = buf[pos++] ?? 0;
    result += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) return [result, pos];
  }
  errors.push({ field: path || "request", type: "Invalid", detail: "malformed varint" });
  return [0, -1];
}

/** A varint field's value, exactly: [value, next position], or position -1 after recording a malformed varint. */
function readVarint(buf: Uint8Array, pos: number, end: number, path: string, errors: FieldError[]): [bigint, number] {
  let result = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) break;
    const b = buf[pos++] ?? 0;
    result |= BigInt(b & 0x7f) << BigInt(7 * i);
    if (!(b & 0x80)) return [BigInt.asUintN(64, result), pos];
  }
  errors.push({ field: path || "request", type: "Invalid", detail: "malformed varint" });
  return [0n, -1];
}

/** Why a varint does not fit its field (ts-proto would wrap it silently), or "". */
function outOfRange(type: string, v: bigint): string {
  const signed = BigInt.asIntN(64, v);
  switch (type) {
    case "TYPE_BOOL":
      return v > 1n ? "must be a boolean (0 or 1)" : "";
    case "TYPE_INT32":
    case "TYPE_ENUM":
      return signed < -(2n ** 31n) || signed >= 2n ** 31n ? "must fit in 32 bits" : "";
    case "TYPE_UINT32":
      return v >= 2n ** 32n ? "must fit in 32 bits" : "";
    case "TYPE_SINT32":
      return v >= 2n ** 32n ? "must fit in 32 bits" : "";
    default:
      // int64 and kin are read as JavaScript numbers (forceLong=number): beyond 2^53 they lose digits.
      return signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < BigInt(Number.MIN_SAFE_INTEGER) ? "must be within ±9007199254740991" : "";
  }
}

/**
 * The service with every request checked before ts-proto decodes it: a faulty request decodes to
 * a WireRejection, which `wireGuardInterceptor` answers as INVALID_ARGUMENT naming the fields.
 */
export function strictService<S extends ServiceDefinition>(service: S, checker: WireChecker): S {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    const typeName = checker.inputType(method.path);
    if (!typeName) {
      out[name] = method;
      continue;
    }
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        const errors = checker.check(typeName, bytes);
        return errors.length > 0 ? new WireRejection(typeName, errors) : method.requestDeserialize(bytes);
      },
    };
  }
  return out as S;
}

export function wireGuardInterceptor(): ServerInterceptor {
  return (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) => {
        next(
          new ServerListenerBuilder()
            .withOnReceiveMessage((message, nextMessage) => {
              if (!(message instanceof WireRejection)) {
                nextMessage(message);
                return;
              }
              const parts = message.errors.map((e) => `${e.field}: ${e.detail}`);
              const err = new InvalidError(`the request is not a valid ${message.typeName.slice(1)}: ${parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`}`, message.errors);
              call.sendStatus(toServiceError(err));
            })
            .build(),
        );
      },
    });
}
