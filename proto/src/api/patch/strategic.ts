// Strategic merge patch over Kubernetes' JSON form, as apimachinery's strategicpatch applies it: a
// merge patch (null removes a key, objects merge) where the lists the kinds mark in merge-keys.ts
// merge item by item on their merge key (containers by name, env by name, ports by containerPort,
// …) or as sets of primitives (finalizers), and every other list is replaced whole. Directives:
//   `$patch: replace` (a map or list replaced whole), `$patch: delete` (a map, or a list item by
//   its key, removed), `$patch: merge` (the default);
//   `$setElementOrder/<list>`: the order of the list's items after the merge;
//   `$retainKeys`: the keys a struct keeps (others cleared, e.g. a Deployment's strategy);
//   `$deleteFromPrimitiveList/<list>`: values removed from a merged list of primitives.
// Any other `$` key is refused, naming its path. The types at each path come from the API's
// descriptors (Schema.fieldOf), so the same table serves every kind.
import { isJsonObject, type Json, type JsonObject } from "../json.js";
import type { KindName } from "../kinds.js";
import { patchStrategyOf } from "../merge-keys.js";
import type { FieldShape, Schema } from "../schema.js";
import { PatchError } from "./errors.js";

const PATCH = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ORDER = "$setElementOrder/";
const DELETE_PRIMITIVE = "$deleteFromPrimitiveList/";

/** What the walk knows at a path: the message of the object there, and whether it is a proto map. */
interface At {
  message: string | undefined;
  isMap: boolean;
  /** The message of a map's values, when the object is a map. */
  mapValues?: string | undefined;
  path: string;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
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

export class StrategicMerge {
  constructor(private readonly schema: Schema) {}

  /** Applies a strategic merge patch to a copy of `doc`, an object of `kind` in Kubernetes' JSON. */
  apply(kind: KindName, doc: JsonObject, patch: Json): JsonObject {
    if (!isJsonObject(patch)) throw new PatchError("", "a strategic merge patch must be a JSON object");
    const out = this.mergeMap(structuredClone(doc), patch, { message: `.mk.v1.${kind}`, isMap: false, path: "" });
    return out ?? {};
  }

  /** The shape of `key` in the object at `at` (undefined when unknown: the schema check names it later). */
  private shapeOf(at: At, key: string): FieldShape | undefined {
    if (at.isMap) return at.mapValues ? { kind: "single", message: at.mapValues } : undefined;
    return at.message ? this.schema.fieldOf(at.message, key) : undefined;
  }

  private childAt(at: At, key: string, shape: FieldShape | undefined): At {
    const path = at.isMap ? `${at.path}[${key}]` : join(at.path, key);
    if (shape?.kind === "map") return { message: undefined, isMap: true, mapValues: shape.message, path };
    return { message: shape?.message, isMap: false, path };
  }

  /** `original` merged with `patch` (original is changed in place); undefined when `$patch: delete` removes it. */
  private mergeMap(original: JsonObject, patch: JsonObject, at: At): JsonObject | undefined {
    const directive = patch[PATCH];
    if (directive !== undefined) {
      if (directive === "delete") return undefined;
      if (directive === "replace") {
        const { [PATCH]: _d, ...rest } = patch;
        return this.mergeMap({}, rest, at) ?? {};
      }
      if (directive !== "merge") throw new PatchError(join(at.path, PATCH), `unknown patch type ${JSON.stringify(directive)} in map: must be replace, delete or merge`);
    }
    const orders = new Map<string, Json[]>();
    const deletions = new Map<string, Json[]>();
    let retain: string[] | undefined;
    for (const [k, v] of Object.entries(patch)) {
      if (!k.startsWith("$") || k === PATCH) continue;
      const where = join(at.path, k);
      if (k === RETAIN_KEYS) {
        if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new PatchError(where, "$retainKeys must be a list of field names");
        retain = v as string[];
      } else if (k.startsWith(SET_ORDER)) {
        if (!Array.isArray(v)) throw new PatchError(where, "$setElementOrder must be a list");
        orders.set(k.slice(SET_ORDER.length), v);
      } else if (k.startsWith(DELETE_PRIMITIVE)) {
        if (!Array.isArray(v)) throw new PatchError(where, "$deleteFromPrimitiveList must be a list");
        deletions.set(k.slice(DELETE_PRIMITIVE.length), v);
      } else {
        throw new PatchError(where, `unknown directive "${k}": must be $patch, $retainKeys, $setElementOrder/<list> or $deleteFromPrimitiveList/<list>`);
      }
    }
    if (retain) {
      for (const [k, v] of Object.entries(patch)) {
        if (!k.startsWith("$") && v !== null && !retain.includes(k)) throw new PatchError(join(at.path, k), `the field is set by the patch but missing from $retainKeys`);
      }
      for (const k of Object.keys(original)) if (!retain.includes(k)) delete original[k];
    }
    for (const [k, values] of deletions) {
      const shape = this.shapeOf(at, k);
      const strategy = at.message ? patchStrategyOf(at.message, k) : undefined;
      if (shape?.kind !== "list" || shape.message || !strategy?.strategy.includes("merge")) {
        throw new PatchError(join(at.path, `${DELETE_PRIMITIVE}${k}`), `"${k}" is not a merged list of primitives`);
      }
      const cur = original[k];
      if (Array.isArray(cur)) {
        const kept = cur.filter((x) => !values.some((d) => deepEqual(d, x)));
        if (kept.length > 0) original[k] = kept;
        else delete original[k];
      }
    }
    for (const [k, v] of Object.entries(patch)) {
      if (k.startsWith("$")) continue;
      if (v === null) {
        delete original[k];
        continue;
      }
      const shape = this.shapeOf(at, k);
      const child = this.childAt(at, k, shape);
      const cur = original[k];
      if (isJsonObject(v) && (shape === undefined || shape.kind !== "list")) {
        const merged = this.mergeMap(isJsonObject(cur) ? cur : {}, v, child);
        if (merged === undefined) delete original[k];
        else original[k] = merged;
      } else if (Array.isArray(v) && shape?.kind === "list" && at.message && patchStrategyOf(at.message, k)?.strategy.includes("merge")) {
        const strategy = patchStrategyOf(at.message, k);
        const merged = this.mergeList(Array.isArray(cur) ? cur : [], v, strategy?.mergeKey, child);
        if (merged === undefined) delete original[k];
        else original[k] = merged;
      } else {
        original[k] = structuredClone(v);
      }
    }
    for (const [k, order] of orders) {
      const cur = original[k];
      const strategy = at.message ? patchStrategyOf(at.message, k) : undefined;
      if (!strategy?.strategy.includes("merge")) throw new PatchError(join(at.path, `${SET_ORDER}${k}`), `"${k}" is not a merged list`);
      if (Array.isArray(cur)) original[k] = reorder(cur, order, strategy.mergeKey, join(at.path, `${SET_ORDER}${k}`));
    }
    return original;
  }

  /** A merged list: items by merge key (objects) or as a set (primitives); undefined when deleted whole. */
  private mergeList(original: Json[], patch: Json[], mergeKey: string | undefined, at: At): Json[] | undefined {
    let out = structuredClone(original);
    const items: Json[] = [];
    for (const [i, item] of patch.entries()) {
      if (!isJsonObject(item) || item[PATCH] === undefined) {
        items.push(item);
        continue;
      }
      const where = `${at.path}[${i}].${PATCH}`;
      const directive = item[PATCH];
      const keys = Object.keys(item).filter((k) => k !== PATCH);
      if (directive === "replace" && keys.length === 0) {
        // The list is replaced by the patch's other items.
        out = [];
        continue;
      }
      if (directive === "delete") {
        if (mergeKey === undefined) {
          if (keys.length === 0) return undefined;
          throw new PatchError(where, "$patch: delete in a list of primitives must stand alone");
        }
        if (item[mergeKey] === undefined) throw new PatchError(where, `$patch: delete needs the merge key "${mergeKey}"`);
        out = out.filter((x) => !(isJsonObject(x) && deepEqual(x[mergeKey], item[mergeKey])));
        continue;
      }
      if (directive === "merge") {
        const { [PATCH]: _d, ...rest } = item;
        items.push(rest);
        continue;
      }
      throw new PatchError(where, `unknown patch type ${JSON.stringify(directive)} in list: must be replace, delete or merge`);
    }
    for (const [i, item] of items.entries()) {
      if (mergeKey === undefined) {
        if (isJsonObject(item) || Array.isArray(item)) throw new PatchError(`${at.path}[${i}]`, "a merged list of primitives takes only primitive values");
        if (!out.some((x) => deepEqual(x, item))) out.push(item);
        continue;
      }
      if (!isJsonObject(item)) throw new PatchError(`${at.path}[${i}]`, `each item must be an object with the merge key "${mergeKey}"`);
      const key = item[mergeKey];
      if (key === undefined || key === null) throw new PatchError(`${at.path}[${i}]`, `the item does not contain the merge key "${mergeKey}"`);
      const itemAt: At = { message: at.message, isMap: false, path: `${at.path}[${mergeKey}=${typeof key === "string" ? key : JSON.stringify(key)}]` };
      const j = out.findIndex((x) => isJsonObject(x) && deepEqual(x[mergeKey], key));
      if (j >= 0) {
        const merged = this.mergeMap(out[j] as JsonObject, item, itemAt);
        if (merged === undefined) out.splice(j, 1);
        else out[j] = merged;
      } else {
        const added = this.mergeMap({}, item, itemAt);
        if (added !== undefined) out.push(added);
      }
    }
    return out;
  }
}

/**
 * The list with the items named in `order` in that order: they take the places such items hold in
 * the list, in the order given; items the order does not name (added by someone else) keep theirs.
 */
function reorder(list: Json[], order: Json[], mergeKey: string | undefined, where: string): Json[] {
  const idOf = (x: Json): string => JSON.stringify(mergeKey === undefined ? x : isJsonObject(x) ? (x[mergeKey] ?? null) : null);
  const rank = new Map<string, number>();
  for (const [i, o] of order.entries()) {
    if (mergeKey !== undefined && !(isJsonObject(o) && o[mergeKey] !== undefined)) throw new PatchError(`${where}[${i}]`, `each entry must carry the merge key "${mergeKey}"`);
    rank.set(idOf(o), i);
  }
  const slots = list.flatMap((x, i) => (rank.has(idOf(x)) ? [i] : []));
  const sorted = slots.map((i) => list[i] as Json).sort((a, b) => (rank.get(idOf(a)) ?? 0) - (rank.get(idOf(b)) ?? 0));
  const out = [...list];
  slots.forEach((slot, n) => {
    out[slot] = sorted[n] as Json;
  });
  return out;
}
