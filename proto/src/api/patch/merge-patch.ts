// JSON Merge Patch (RFC 7386): an object merges into the target key by key, null removes a key,
// anything else (arrays included) replaces the target's value.
import { isJsonObject, type Json, type JsonObject } from "../json.js";
import { PatchError } from "./errors.js";

function merge(target: Json | undefined, patch: Json): Json {
  if (!isJsonObject(patch)) return structuredClone(patch);
  const out: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

export function applyMergePatch(doc: JsonObject, patch: Json): JsonObject {
  if (!isJsonObject(patch)) throw new PatchError("", "a merge patch must be a JSON object");
  return merge(doc, patch) as JsonObject;
}
