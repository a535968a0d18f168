// Kubernetes' field validation of a POST or PUT body (the `fieldValidation` query parameter): unknown
// fields refused by name (Strict, which kubectl asks for by default), accepted with one `Warning`
// header each (Warn, the server's default), or dropped silently (Ignore). A value of the wrong type is
// refused in every mode, naming its field, as Kubernetes' decoder refuses it.
import type { JsonObject, KindInfo, Schema } from "@mk/proto/api";
import { BadRequestError, InvalidError, invalidMessage } from "@mk/proto/client";

export type FieldValidation = "Strict" | "Warn" | "Ignore";

export function fieldValidationOf(param: string | null): FieldValidation {
  if (param === null || param === "") return "Warn";
  if (param === "Strict" || param === "Warn" || param === "Ignore") return param;
  throw new BadRequestError(`fieldValidation: Unsupported value: "${param}": supported values: "Ignore", "Strict", "Warn"`);
}

export interface CheckedBody {
  /** The body without the unknown fields. */
  body: JsonObject;
  /** One `Warning` header value per dropped field (Warn only). */
  warnings: string[];
}

/** A `Warning` header value: code 299, no agent, the text quoted (RFC 7234). */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}

export function checkFields(schema: Schema, info: KindInfo, body: JsonObject, mode: FieldValidation, name: string): CheckedBody {
  const { errors, cleaned } = schema.check(info.kind, body);
  const wrongType = errors.filter((e) => e.type !== "Unknown");
  if (wrongType.length > 0) {
    throw new InvalidError(invalidMessage(info.group ? `${info.kind}.${info.group}` : info.kind, name, wrongType), wrongType);
  }
  const unknown = errors.map((e) => `unknown field "${e.field}"`);
  if (unknown.length > 0 && mode === "Strict") {
    const version = info.apiVersion.slice(info.apiVersion.indexOf("/") + 1);
    throw new BadRequestError(`${info.kind} in version "${version}" cannot be handled as a ${info.kind}: strict decoding error: ${unknown.join(", ")}`);
  }
  return { body: cleaned, warnings: mode === "Warn" ? unknown : [] };
}
