// kubectl's client-side apply: a three-way merge of the last applied manifest (the annotation
// kubectl.kubernetes.io/last-applied-configuration), the new manifest and the live object.
//   - a field the new manifest sets wins over the live value;
//   - a field the last manifest set and the new one drops is removed (the server may default it);
//   - a field no manifest ever set (defaults, replicas changed by `mkctl scale`) is kept.
// Lists of objects merge item by item on Kubernetes' merge keys (containers by name, ports by
// containerPort …), as strategic merge patch does; other lists are replaced whole.
import { LAST_APPLIED_ANNOTATION } from "@mk/proto/api";
import { cloneJson, deepEqual, isObject, type Json, type JsonObject, sortKeys } from "./objects.js";

export const LAST_APPLIED = LAST_APPLIED_ANNOTATION;

/** patchMergeKey of the list fields of mk's kinds (from Kubernetes' types.go). */
export const MERGE_KEYS: { readonly [field: string]: string } = {
  containers: "name",
  initContainers: "name",
  ports: "containerPort",
  env: "name",
  volumeMounts: "mountPath",
  volumes: "name",
  ownerReferences: "uid",
  conditions: "type",
  taints: "key",
  addresses: "type",
  podIPs: "ip",
  podIps: "ip",
};

/**
 * Fields with patchStrategy retainKeys: when the manifest changes them, the keys it leaves out are
 * cleared, so that switching `strategy.type` to Recreate drops the old `rollingUpdate`.
 */
const RETAIN_KEYS = new Set(["strategy"]);

function mergeList(key: string, orig: Json | undefined, mod: Json[], cur: Json[]): Json[] {
  const mk = MERGE_KEYS[key];
  const keyed = (xs: Json[]) => xs.every((x) => isObject(x) && x[mk ?? ""] !== undefined);
  if (!mk || !keyed(mod) || !keyed(cur)) return cloneJson(mod);
  const idOf = (x: Json) => JSON.stringify((x as JsonObject)[mk]);
  const origItems = Array.isArray(orig) ? orig.filter(isObject) : [];
  const origIds = new Set(origItems.map(idOf));
  const modIds = new Set(mod.map(idOf));
  const out: Json[] = [];
  for (const m of mod) {
    const c = cur.find((x) => idOf(x) === idOf(m));
    const o = origItems.find((x) => idOf(x) === idOf(m));
    out.push(c && isObject(c) ? mergeObject(o, m as JsonObject, c, key === "volumes") : cloneJson(m));
  }
  // Items someone else added stay; items the last manifest had and this one dropped go.
  for (const c of cur) if (!modIds.has(idOf(c)) && !origIds.has(idOf(c))) out.push(c);
  return out;
}

function mergeValue(key: string, orig: Json | undefined, mod: Json, cur: Json | undefined): Json {
  if (isObject(mod) && isObject(cur)) return mergeObject(isObject(orig) ? orig : undefined, mod, cur, RETAIN_KEYS.has(key));
  if (Array.isArray(mod) && Array.isArray(cur)) return mergeList(key, orig, mod, cur);
  return cloneJson(mod);
}

function mergeObject(orig: JsonObject | undefined, mod: JsonObject, cur: JsonObject, retainKeys = false): JsonObject {
  const out: JsonObject = { ...cur };
  for (const k of Object.keys(orig ?? {})) if (!Object.hasOwn(mod, k)) delete out[k];
  for (const [k, m] of Object.entries(mod)) out[k] = mergeValue(k, orig?.[k], m, cur[k]);
  if (retainKeys && !deepEqual(out, cur)) for (const k of Object.keys(out)) if (!Object.hasOwn(mod, k)) delete out[k];
  return out;
}

/** The object to write: the live object with the manifest's changes applied (unchanged: equal to current). */
export function threeWayMerge(original: JsonObject | undefined, modified: JsonObject, current: JsonObject): JsonObject {
  return mergeObject(original, modified, current);
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
