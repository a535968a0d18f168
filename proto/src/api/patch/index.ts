// Patches of objects in Kubernetes' JSON form: JSON patch (RFC 6902), JSON merge patch (RFC 7386)
// and strategic merge patch, applied and (strategic) computed, once for the API server and mkctl.
import type { Json, JsonObject } from "../json.js";
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

/** Applies a patch of the given type to a copy of `doc` (an object of `kind`); PatchError when it cannot. */
export function applyPatch(schema: Schema, kind: KindName, type: PatchType, doc: JsonObject, patch: Json): JsonObject {
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
