// Objects in Kubernetes' JSON shape, as manifests and the HTTP edge carry them.

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deeper than any object of the API (a pod template's probe's header is 9 levels down). */
export const MAX_JSON_DEPTH = 100;

/**
 * Where a JSON value is nested deeper than `max` levels (`metadata.labels.deep[0][0]…`, cut after
 * a few steps), or undefined. Iterative, so any depth is safe to check; recursive code (patches,
 * copies, comparisons) must only see values that passed.
 */
export function tooDeep(value: Json, max = MAX_JSON_DEPTH): string | undefined {
  const stack: { v: Json; path: string; depth: number; steps: number }[] = [{ v: value, path: "", depth: 0, steps: 0 }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { v, path, depth, steps } = top;
    if (typeof v !== "object" || v === null) continue;
    if (depth >= max) return path || "(the document)";
    const step = (seg: string) => (steps < 8 ? `${path}${seg}` : steps === 8 ? `${path}…` : path);
    if (Array.isArray(v)) for (const [i, x] of v.entries()) stack.push({ v: x, path: step(`[${i}]`), depth: depth + 1, steps: steps + 1 });
    else for (const [k, x] of Object.entries(v)) stack.push({ v: x, path: step(path ? `.${k}` : k), depth: depth + 1, steps: steps + 1 });
  }
  return undefined;
}
