// get --sort-by=JSONPATH: kubectl's sorter. The path is relaxed (`.metadata.name`, `{.spec.replicas}`);
// numbers compare as numbers, strings byte by byte (`cm-10` before `cm-2`), objects without the
// field first.
import { CliError } from "../errors.js";
import type { Json } from "../objects.js";
import { findValues, parseTemplate, relaxedJsonPath } from "./jsonpath.js";

/** kubectl's less: an object without the field is less than any other, even one also without it. */
function less(a: Json | undefined, b: Json | undefined): boolean {
  if (a === undefined) return true;
  if (b === undefined) return false;
  if (typeof a === "number" && typeof b === "number") return a < b;
  const p = typeof a === "string" ? a : JSON.stringify(a);
  const q = typeof b === "string" ? b : JSON.stringify(b);
  return p < q;
}

/** The sort key template of --sort-by, checked before any call to the server. */
export function sortTemplate(expr: string): string {
  const template = relaxedJsonPath(expr);
  parseTemplate(template);
  return template;
}

/** Items ordered by the value the template finds in each one's JSON form. */
export function sortByPath<T>(items: readonly T[], json: (item: T) => Json, template: string): T[] {
  const keyed = items.map((item) => ({ item, key: findValues(template, json(item))[0] }));
  if (keyed.length > 1 && keyed.every((k) => k.key === undefined)) {
    throw new CliError(`couldn't find any field with path "${template}" in the list of objects`);
  }
  // Insertion sort, which Go's sort.Sort is for up to 12 elements: with kubectl's less, objects
  // missing the field come out in kubectl's order too (the last one read first); longer lists may
  // order those differently, the sorted part is the same.
  for (let i = 1; i < keyed.length; i++) {
    for (let j = i; j > 0 && less(keyed[j]?.key, keyed[j - 1]?.key); j--) {
      const t = keyed[j] as (typeof keyed)[number];
      keyed[j] = keyed[j - 1] as (typeof keyed)[number];
      keyed[j - 1] = t;
    }
  }
  return keyed.map((k) => k.item);
}
