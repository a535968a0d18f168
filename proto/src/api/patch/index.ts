// Patches of objects in Kubernetes' JSON form: JSON patch (RFC 6902), JSON merge patch (RFC 7386)
// and strategic merge patch, applied and (strategic) computed, once for the API server and mkctl.
import { isJsonObject, type Json, type JsonObject, MAX_JSON_DEPTH, tooDeep } from "../json.js";
import type { KindName } from "../kinds.js";
import type { Schema } from "../schema.js";
import { PatchError } from "./errors.js";
import { applyJsonPatch } from "./json-patch.js";
import { applyMergePatch } from "./merge-patch.js";
import { StrategicMerge } from "./strategic.js";

export { PatchError } from "./errors.js";
export { applyJsonPatch, parseJsonPatch } from "./json-patch.js";
export { applyMergePatch } from "./merge-patch.js";
export { StrategicMerge } from "./strategic.js";
export { PatchMaker } from "./diff.js";

/** The patch types of the API, as kubectl's --type names them. */
export type PatchType = "json" | "merge" | "strategic";

/** The HTTP Content-Type of each patch type. */
export const PATCH_CONTENT_TYPES: { readonly [T in PatchType]: string } = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

export function isPatchType(s: string): s is PatchType {
  return s === "json" || s === "merge" || s === "strategic";
}

/**
 * A patch nested deeper than any object can be (MAX_JSON_DEPTH) is refused naming where, before the
 * recursive code below could run out of stack on it (a 100 000-deep label value was a RangeError,
 * the API server's 500): a JSON patch by its operation, the others by their field path.
 */
export function checkPatchDepth(type: PatchType, patch: Json): void {
  if (type === "json" && Array.isArray(patch)) {
    for (const [i, op] of patch.entries()) {
      if (tooDeep(op, MAX_JSON_DEPTH + 1) === undefined) continue;
      throw new PatchError(isJsonObject(op) ? `[${i}] ${String(op.op)} ${String(op.path)}` : `[${i}]`, `the value is nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    return;
  }
  const deep = tooDeep(patch);
  if (deep !== undefined) throw new PatchError(deep, `nested deeper than ${MAX_JSON_DEPTH} levels`);
}

/** Applies a patch of the given type to a copy of `doc` (an object of `kind`); PatchError when it cannot. */
export function applyPatch(schema: Schema, kind: KindName, type: PatchType, doc: JsonObject, patch: Json): JsonObject {
  checkPatchDepth(type, patch);
  switch (type) {
    case "json":
      return applyJsonPatch(doc, patch);
    case "merge":
      return applyMergePatch(doc, patch);
    case "strategic":
      return new StrategicMerge(schema).apply(kind, doc, patch);
    default:
      throw new PatchError("", `unsupported patch type "${String(type)}"`);
  }
}
