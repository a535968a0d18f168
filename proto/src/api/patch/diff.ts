// Computing strategic merge patches, as kubectl does for `apply`: a two-way patch from one object to
// another, and the three-way patch from the last applied manifest (original), the new manifest
// (modified) and the live object (current):
//   - what modified sets differently from current is sent (changes and additions);
//   - what original set and modified no longer does is removed (null, `$patch: delete` items,
//     `$deleteFromPrimitiveList`);
//   - what neither manifest ever set (defaults, replicas changed by `scale`) is left alone.
// An empty patch `{}` means nothing to do (kubectl's `unchanged`).
import { isJsonObject, type Json, type JsonObject } from "../json.js";
import type { KindName } from "../kinds.js";
import { patchStrategyOf } from "../merge-keys.js";
import type { FieldShape, Schema } from "../schema.js";

interface DiffOptions {
  /** Leave out removals (the live object's extra fields are not the manifest's to remove). */
  ignoreDeletions: boolean;
  /** Leave out changes and additions (only removals: the original-to-modified half). */
  ignoreChangesAndAdditions: boolean;
}

interface At {
  message: string | undefined;
  isMap: boolean;
  mapValues?: string | undefined;
}

function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Two patches of the same objects as one (the delta and the deletions of a three-way patch). */
function mergePatches(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const x = out[k];
    if (isJsonObject(x) && isJsonObject(v)) out[k] = mergePatches(x, v);
    else if (Array.isArray(x) && Array.isArray(v)) out[k] = [...x, ...v];
    else out[k] = v;
  }
  return out;
}

export class PatchMaker {
  constructor(private readonly schema: Schema) {}

  /** The strategic merge patch that turns `from` into `to` (objects of `kind`). */
  twoWay(kind: KindName, from: JsonObject, to: JsonObject): JsonObject {
    return this.diffMaps(from, to, this.root(kind), { ignoreDeletions: false, ignoreChangesAndAdditions: false });
  }

  /** kubectl apply's patch: modified's changes against current, plus what original set and modified dropped. */
  threeWay(kind: KindName, original: JsonObject | undefined, modified: JsonObject, current: JsonObject): JsonObject {
    const delta = this.diffMaps(current, modified, this.root(kind), { ignoreDeletions: true, ignoreChangesAndAdditions: false });
    const deletions = this.diffMaps(original ?? {}, modified, this.root(kind), { ignoreDeletions: false, ignoreChangesAndAdditions: true });
    return mergePatches(delta, deletions);
  }

  private root(kind: KindName): At {
    return { message: `.mk.v1.${kind}`, isMap: false };
  }

  private shapeOf(at: At, key: string): FieldShape | undefined {
    if (at.isMap) return at.mapValues ? { kind: "single", message: at.mapValues } : undefined;
    return at.message ? this.schema.fieldOf(at.message, key) : undefined;
  }

  private diffMaps(from: JsonObject, to: JsonObject, at: At, opts: DiffOptions): JsonObject {
    const patch: JsonObject = {};
    for (const [k, tv] of Object.entries(to)) {
      const fv = from[k];
      if (fv === undefined) {
        if (!opts.ignoreChangesAndAdditions) patch[k] = structuredClone(tv);
        continue;
      }
      const shape = this.shapeOf(at, k);
      const strategy = at.message && !at.isMap ? patchStrategyOf(at.message, k) : undefined;
      if (isJsonObject(fv) && isJsonObject(tv) && shape?.kind !== "list") {
        const child: At = shape?.kind === "map" ? { message: undefined, isMap: true, mapValues: shape.message } : { message: shape?.message, isMap: false };
        const sub = this.diffMaps(fv, tv, child, opts);
        if (Object.keys(sub).length === 0) continue;
        if (strategy?.strategy.includes("retainKeys") && !opts.ignoreChangesAndAdditions) sub.$retainKeys = Object.keys(tv).sort();
        patch[k] = sub;
      } else if (Array.isArray(fv) && Array.isArray(tv) && strategy?.strategy.includes("merge")) {
        this.diffLists(patch, k, fv, tv, strategy.mergeKey, { message: shape?.message, isMap: false }, opts);
      } else if (!deepEqual(fv, tv) && !opts.ignoreChangesAndAdditions) {
        patch[k] = structuredClone(tv);
      }
    }
    if (!opts.ignoreDeletions) for (const k of Object.keys(from)) if (!Object.hasOwn(to, k)) patch[k] = null;
    return patch;
  }

  /** Adds to `patch` the changes of the merged list `key`: changed and new items, deletions, the order. */
  private diffLists(patch: JsonObject, key: string, from: Json[], to: Json[], mergeKey: string | undefined, itemAt: At, opts: DiffOptions): void {
    const items: Json[] = [];
    if (mergeKey === undefined) {
      const added = opts.ignoreChangesAndAdditions ? [] : to.filter((t) => !from.some((f) => deepEqual(f, t)));
      const removed = opts.ignoreDeletions ? [] : from.filter((f) => !to.some((t) => deepEqual(f, t)));
      if (added.length > 0) patch[key] = structuredClone(added);
      if (removed.length > 0) patch[`$deleteFromPrimitiveList/${key}`] = structuredClone(removed);
      if ((added.length > 0 || removed.length > 0) && !opts.ignoreChangesAndAdditions) patch[`$setElementOrder/${key}`] = structuredClone(to);
      return;
    }
    const keyOf = (x: Json): Json | undefined => (isJsonObject(x) ? x[mergeKey] : undefined);
    const find = (xs: Json[], k: Json | undefined) => xs.find((x) => k !== undefined && deepEqual(keyOf(x), k));
    for (const t of to) {
      const f = find(from, keyOf(t));
      if (f === undefined || !isJsonObject(f) || !isJsonObject(t)) {
        if (!opts.ignoreChangesAndAdditions) items.push(structuredClone(t));
        continue;
      }
      const sub = this.diffMaps(f, t, itemAt, opts);
      if (Object.keys(sub).length > 0) items.push({ [mergeKey]: keyOf(t) ?? null, ...sub });
    }
    if (!opts.ignoreDeletions) {
      for (const f of from) if (find(to, keyOf(f)) === undefined) items.push({ [mergeKey]: keyOf(f) ?? null, $patch: "delete" });
    }
    if (items.length === 0) return;
    patch[key] = items;
    if (!opts.ignoreChangesAndAdditions) patch[`$setElementOrder/${key}`] = to.map((t) => ({ [mergeKey]: keyOf(t) ?? null }));
  }
}
