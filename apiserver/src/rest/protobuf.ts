// The little of Kubernetes' protobuf encoding this edge reads: kubectl's typed clients send some
// bodies as `application/vnd.kubernetes.protobuf` (a SelfSubjectAccessReview from `auth can-i`), in
// the envelope `k8s\0` + runtime.Unknown{typeMeta{apiVersion, kind}, raw}. Replies stay JSON, which
// those clients accept too. Each message read here is described by its field numbers from
// Kubernetes' generated.proto; a body it cannot read is a 415 naming the content type.
import type { JsonObject } from "@mk/proto/api";
import { BadRequestError } from "@mk/proto/client";

export const PROTOBUF_CONTENT_TYPE = "application/vnd.kubernetes.protobuf";
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** A message's fields: number → [JSON name, a nested message's fields, or "string"]. */
type Fields = { readonly [num: number]: readonly [string, Fields | "string"] };

const RESOURCE_ATTRIBUTES: Fields = {
  1: ["namespace", "string"],
  2: ["verb", "string"],
  3: ["group", "string"],
  4: ["version", "string"],
  5: ["resource", "string"],
  6: ["subresource", "string"],
  7: ["name", "string"],
};
const NON_RESOURCE_ATTRIBUTES: Fields = { 1: ["path", "string"], 2: ["verb", "string"] };
const SELF_SUBJECT_ACCESS_REVIEW: Fields = {
  2: ["spec", { 1: ["resourceAttributes", RESOURCE_ATTRIBUTES], 2: ["nonResourceAttributes", NON_RESOURCE_ATTRIBUTES] }],
};
const TYPE_META: Fields = { 1: ["apiVersion", "string"], 2: ["kind", "string"] };
const UNKNOWN: Fields = { 1: ["typeMeta", TYPE_META] };

/** The kinds whose protobuf bodies this edge reads. */
const MESSAGES: { readonly [kind: string]: Fields } = { SelfSubjectAccessReview: SELF_SUBJECT_ACCESS_REVIEW };

export class UnsupportedMediaTypeError extends BadRequestError {
  override get httpStatus(): number {
    return 415;
  }
}

function malformed(): Error {
  return new BadRequestError("the request body is not a valid Kubernetes protobuf message");
}

function varint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const b = buf[i++];
    if (b === undefined || shift > 49) throw malformed();
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, i];
    shift += 7;
  }
}

/** Decodes the fields named in `fields`, skipping the others; raw: bytes of field 2 of an Unknown. */
function decode(buf: Buffer, fields: Fields, raw?: { bytes: Buffer | undefined }): JsonObject {
  const out: JsonObject = {};
  let i = 0;
  while (i < buf.length) {
    const [key, next] = varint(buf, i);
    i = next;
    const num = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      i = varint(buf, i)[1];
      continue;
    }
    if (wire === 1 || wire === 5) {
      i += wire === 1 ? 8 : 4;
      continue;
    }
    if (wire !== 2) throw malformed();
    const [len, start] = varint(buf, i);
    const end = start + len;
    if (end > buf.length) throw malformed();
    const bytes = buf.subarray(start, end);
    i = end;
    if (raw && num === 2) raw.bytes = bytes;
    const field = fields[num];
    if (!field) continue;
    out[field[0]] = field[1] === "string" ? bytes.toString("utf8") : decode(bytes, field[1]);
  }
  return out;
}

/** The JSON form of a protobuf request body, for the kinds in MESSAGES. */
export function protobufBodyAsJson(body: Buffer): JsonObject {
  if (!body.subarray(0, 4).equals(MAGIC)) throw malformed();
  const raw: { bytes: Buffer | undefined } = { bytes: undefined };
  const envelope = decode(body.subarray(4), UNKNOWN, raw);
  const typeMeta = (envelope.typeMeta ?? {}) as JsonObject;
  const kind = typeof typeMeta.kind === "string" ? typeMeta.kind : "";
  const fields = MESSAGES[kind];
  if (!fields) throw new UnsupportedMediaTypeError(`the server reads ${kind || "this object"} as JSON only, not ${PROTOBUF_CONTENT_TYPE}`);
  return { ...decode(raw.bytes ?? Buffer.alloc(0), fields), kind, apiVersion: typeof typeMeta.apiVersion === "string" ? typeMeta.apiVersion : "" };
}
