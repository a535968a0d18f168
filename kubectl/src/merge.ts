// kubectl's client-side apply: the three-way strategic merge patch of the last applied manifest
// (the annotation kubectl.kubernetes.io/last-applied-configuration), the new manifest and the live
// object, computed by @mk/proto/api (patch/diff.ts), where strategic merge lives once:
//   - a field the new manifest sets wins over the live value;
//   - a field the last manifest set and the new one drops is removed (the server may default it);
//   - a field no manifest ever set (defaults, replicas changed by `mkctl scale`) is kept.
import { type KindName, LAST_APPLIED_ANNOTATION, PatchMaker, Schema, StrategicMerge } from "@mk/proto/api";
import { cloneJson, isObject, type JsonObject, sortKeys } from "./objects.js";

export const LAST_APPLIED = LAST_APPLIED_ANNOTATION;

let engines: { maker: PatchMaker; merge: StrategicMerge } | undefined;

function patchEngines(): { maker: PatchMaker; merge: StrategicMerge } {
  if (!engines) {
    const schema = Schema.load();
    engines = { maker: new PatchMaker(schema), merge: new StrategicMerge(schema) };
  }
  return engines;
}

/** kubectl apply's three-way strategic merge patch; `{}` when the live object already matches. */
export function threeWayPatch(kind: KindName, original: JsonObject | undefined, modified: JsonObject, current: JsonObject): JsonObject {
  return patchEngines().maker.threeWay(kind, original, modified, current);
}

/** The strategic merge patch from one object to another (kubectl edit's CreateTwoWayMergePatch); `{}`: equal. */
export function twoWayPatch(kind: KindName, from: JsonObject, to: JsonObject): JsonObject {
  return patchEngines().maker.twoWay(kind, from, to);
}

/** The object the server will make of that patch: the live object with the manifest's changes applied. */
export function threeWayMerge(kind: KindName, original: JsonObject | undefined, modified: JsonObject, current: JsonObject): JsonObject {
  return patchEngines().merge.apply(kind, current, threeWayPatch(kind, original, modified, current));
}

/** The manifest as the annotation records it: sorted keys, without the annotation itself. */
export function lastAppliedOf(modified: JsonObject): string {
  const copy = cloneJson(modified);
  const meta = copy.metadata;
  if (isObject(meta) && isObject(meta.annotations)) {
    delete meta.annotations[LAST_APPLIED];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  return `${JSON.stringify(sortKeys(copy))}\n`;
}

/** The manifest with its own last-applied annotation set, ready to merge or create. */
export function withLastApplied(modified: JsonObject): JsonObject {
  const copy = cloneJson(modified);
  const value = lastAppliedOf(copy);
  const meta: JsonObject = isObject(copy.metadata) ? copy.metadata : {};
  const annotations: JsonObject = isObject(meta.annotations) ? meta.annotations : {};
  annotations[LAST_APPLIED] = value;
  meta.annotations = annotations;
  copy.metadata = meta;
  return copy;
}

/** The last applied manifest of a live object, if it was ever applied. */
export function readLastApplied(current: JsonObject): JsonObject | undefined {
  const meta = current.metadata;
  const raw = isObject(meta) && isObject(meta.annotations) ? meta.annotations[LAST_APPLIED] : undefined;
  if (typeof raw !== "string") return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    return isObject(v) ? v : undefined;
  } catch {
    // A hand-edited, broken annotation: merge as if the object had never been applied.
    return undefined;
  }
}
