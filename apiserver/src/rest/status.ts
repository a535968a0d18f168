// Typed errors as Kubernetes' metav1.Status, once, at the HTTP edge: the reason and HTTP code come
// from the error (errors.ts), field errors become details.causes as kubectl prints them.
import { type JsonObject, KINDS, isKindName } from "@mk/proto/api";
import { ApiError, type FieldError, InvalidError } from "@mk/proto/client";

/** metav1.CauseType of each field error type. */
const CAUSE_TYPES: { readonly [type: string]: string } = {
  Required: "FieldValueRequired",
  Invalid: "FieldValueInvalid",
  Duplicate: "FieldValueDuplicate",
  NotSupported: "FieldValueNotSupported",
  Unsupported: "FieldValueNotSupported",
  Forbidden: "FieldValueForbidden",
  TooLong: "FieldValueTooLong",
  Unknown: "FieldValueUnknown",
};

function causeOf(f: FieldError): JsonObject {
  const value = f.value === undefined ? "" : `: ${f.value}`;
  return { reason: CAUSE_TYPES[f.type] ?? "FieldValueInvalid", message: `${f.type === "Invalid" ? "Invalid value" : f.type}${value}${f.detail ? `: ${f.detail}` : ""}`, field: f.field };
}

export interface StatusReply {
  code: number;
  body: JsonObject;
}

/** The request's resource, for details (kind is the plural's group-less kind, as Kubernetes names it). */
export interface StatusTarget {
  kind?: string | undefined;
  name?: string | undefined;
}

export function statusOf(err: unknown, target: StatusTarget = {}): StatusReply {
  const api = err instanceof ApiError ? err : undefined;
  const code = api?.httpStatus ?? 500;
  const details: JsonObject = {};
  if (target.name) details.name = target.name;
  if (target.kind && isKindName(target.kind)) {
    details.kind = KINDS[target.kind].plural;
    if (KINDS[target.kind].group) details.group = KINDS[target.kind].group;
  }
  if (err instanceof InvalidError && err.fields.length > 0) details.causes = err.fields.map(causeOf);
  const body: JsonObject = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: api ? api.message : "Internal error occurred: the server failed to process the request",
    reason: api?.reason ?? "InternalError",
    code,
  };
  if (Object.keys(details).length > 0) body.details = details;
  return { code, body };
}

export function successStatus(details: JsonObject): JsonObject {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details };
}
