// Shared validation: field errors worded as Kubernetes words them, names, metadata, labels.
// Every validator returns all the errors it finds, so one answer names every failing field.
import { type FieldError, InvalidError, invalidMessage } from "@mk/proto/client";
import { isQuantity, type KindName, KINDS, labelKeyError, labelValueError, type ObjectMeta, parseQuantity, QUANTITY_FORMAT_ERROR } from "@mk/proto";
import { groupKind } from "../storage/keys.js";

export type Errors = FieldError[];

/** Kubernetes prints strings quoted and numbers, booleans and maps as JSON. */
export function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** A value quoted for a message, cut to 64 characters (a 2 MiB name is not echoed back whole). */
export function showShort(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 61)}...` : value);
}

export function required(field: string, detail = ""): FieldError {
  return { field, type: "Required", detail };
}
export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { field, type: "Invalid", value: show(value), detail };
}
export function unsupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  return { field, type: "Unsupported", value: show(value), detail: `supported values: ${supported.map((s) => `"${s}"`).join(", ")}` };
}
export function duplicate(field: string, value: unknown): FieldError {
  return { field, type: "Duplicate", value: show(value), detail: "" };
}
export function forbidden(field: string, detail: string): FieldError {
  return { field, type: "Forbidden", detail };
}
export function notFound(field: string, value: unknown): FieldError {
  return { field, type: "Not found", value: show(value), detail: "" };
}
export function immutable(field: string, value: unknown): FieldError {
  return invalid(field, value, "field is immutable");
}

/** Throws the InvalidError Kubernetes would give, when there is any error. */
export function throwIfInvalid(kind: KindName | "Scale", name: string, errors: Errors): void {
  if (errors.length === 0) return;
  const gk = kind === "Scale" ? "Scale.autoscaling" : groupKind(kind);
  throw new InvalidError(invalidMessage(gk, name, errors), errors);
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
export const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

export function validateDnsLabel(field: string, value: string, errs: Errors): void {
  if (value.length > 63) errs.push(invalid(field, value, "must be no more than 63 characters"));
  if (!DNS1123_LABEL.test(value)) errs.push(invalid(field, value, DNS1123_LABEL_MSG));
}

export function validateDnsSubdomain(field: string, value: string, errs: Errors): void {
  if (value.length > 253) errs.push(invalid(field, value, "must be no more than 253 characters"));
  if (!DNS1123_SUBDOMAIN.test(value)) errs.push(invalid(field, value, DNS1123_SUBDOMAIN_MSG));
}

export function validateLabels(field: string, labels: Record<string, string> | undefined, errs: Errors): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    const ke = labelKeyError(k);
    if (ke) errs.push(invalid(field, k, ke));
    const ve = labelValueError(v);
    if (ve) errs.push(invalid(`${field}[${k}]`, v, ve));
  }
}

export function validateAnnotations(field: string, annotations: Record<string, string> | undefined, errs: Errors): void {
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    const ke = labelKeyError(k);
    if (ke) errs.push(invalid(field, k, ke));
    total += k.length + v.length;
  }
  if (total > 256 * 1024) errs.push({ field, type: "Too long", detail: "must have at most 262144 bytes", value: "" });
}

export type NameRule = "label" | "subdomain";

/** Metadata rules common to every kind: name, namespace scope, labels, annotations, owners, finalizers. */
export function validateObjectMeta(kind: KindName, meta: ObjectMeta, nameRule: NameRule, errs: Errors): void {
  if (meta.generateName) {
    // Kubernetes checks the prefix itself, without the '-' it usually ends in, so the refusal
    // names what the client sent rather than the name generated from it.
    const prefix = meta.generateName.replace(/-$/, "");
    const prefixErrs: Errors = [];
    if (nameRule === "label") validateDnsLabel("metadata.generateName", prefix, prefixErrs);
    else validateDnsSubdomain("metadata.generateName", prefix, prefixErrs);
    errs.push(...prefixErrs.map((e) => ({ ...e, value: show(meta.generateName) })));
  }
  if (!meta.name) {
    errs.push(required("metadata.name", "name or generateName is required"));
  } else if (nameRule === "label") {
    validateDnsLabel("metadata.name", meta.name, errs);
  } else {
    validateDnsSubdomain("metadata.name", meta.name, errs);
  }
  if (KINDS[kind].namespaced) {
    if (!meta.namespace) errs.push(required("metadata.namespace"));
    else validateDnsLabel("metadata.namespace", meta.namespace, errs);
  } else if (meta.namespace) {
    errs.push(forbidden("metadata.namespace", "not allowed on this type"));
  }
  validateLabels("metadata.labels", meta.labels, errs);
  validateAnnotations("metadata.annotations", meta.annotations, errs);
  meta.ownerReferences.forEach((o, i) => {
    const f = `metadata.ownerReferences[${i}]`;
    if (!o.apiVersion) errs.push(invalid(`${f}.apiVersion`, o.apiVersion, "version must not be empty"));
    if (!o.kind) errs.push(invalid(`${f}.kind`, o.kind, "kind must not be empty"));
    if (!o.name) errs.push(invalid(`${f}.name`, o.name, "name must not be empty"));
    if (!o.uid) errs.push(invalid(`${f}.uid`, o.uid, "uid must not be empty"));
  });
  if (meta.ownerReferences.filter((o) => o.controller === true).length > 1) {
    errs.push(invalid("metadata.ownerReferences", meta.ownerReferences.length, "Only one reference can have Controller set to true"));
  }
  meta.finalizers.forEach((f, i) => {
    const e = labelKeyError(f);
    if (e) errs.push(invalid(`metadata.finalizers[${i}]`, f, e));
  });
}

export function nonNegative(field: string, value: number | undefined, errs: Errors): void {
  if (value !== undefined && value < 0) errs.push(invalid(field, value, "must be greater than or equal to 0"));
}

export function positive(field: string, value: number | undefined, errs: Errors): void {
  if (value !== undefined && value <= 0) errs.push(invalid(field, value, "must be greater than 0"));
}

/** A quantity that parses and is not negative: requests, limits, capacity, an emptyDir's sizeLimit. */
export function validateQuantity(field: string, q: string, errs: Errors): void {
  if (!isQuantity(q)) errs.push(invalid(field, q, QUANTITY_FORMAT_ERROR));
  else if (parseQuantity(q) < 0) errs.push(invalid(field, q, "must be greater than or equal to 0"));
}

/** "25%" or "1": Kubernetes' IntOrString for maxSurge and maxUnavailable. */
export function validateIntOrPercent(field: string, value: string, errs: Errors): void {
  if (/^\d+$/.test(value)) {
    // The int of an IntOrString is an int32.
    if (Number(value) >= 2 ** 31) errs.push(invalid(field, value, "must be an integer of at most 2147483647 or a percent"));
    return;
  }
  const m = /^(\d+)%$/.exec(value);
  if (!m) {
    errs.push(invalid(field, value, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"));
    return;
  }
  if (Number(m[1]) > 100) errs.push(invalid(field, value, "must not be greater than 100%"));
}

/** Whether an IntOrString is zero ("0" or "0%"). */
export function isZeroIntOrPercent(value: string): boolean {
  return /^0+%?$/.test(value);
}

/** Structural equality of decoded protobuf messages (map key order does not matter). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}
