// JSON Patch (RFC 6902): a list of add / remove / replace / move / copy / test operations on JSON
// pointers (RFC 6901), applied in order to a copy of the document; the first failing operation
// refuses the whole patch, naming its index and path.
import { isJsonObject, type Json, type JsonObject } from "../json.js";
import { PatchError } from "./errors.js";

const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);

function clone<T extends Json>(v: T): T {
  return structuredClone(v);
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

/** The reference tokens of a JSON pointer ("" is the whole document). */
function tokensOf(pointer: string, where: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PatchError(where, `invalid JSON pointer "${pointer}": it must start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function arrayIndex(token: string, length: number, forAdd: boolean, pointer: string, where: string): number {
  if (forAdd && token === "-") return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(where, `invalid array index "${token}" in "${pointer}"`, true);
  const i = Number(token);
  if (i > length || (!forAdd && i === length)) throw new PatchError(where, `array index ${i} out of bounds in "${pointer}"`, true);
  return i;
}

/** The container holding the pointer's last token, and that token. */
function parentOf(doc: Json, pointer: string, where: string): { parent: Json; last: string } {
  const tokens = tokensOf(pointer, where);
  const last = tokens.pop();
  if (last === undefined) throw new PatchError(where, "the operation cannot apply to the whole document");
  let cur: Json = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, pointer, where)] as Json;
    else if (isJsonObject(cur) && Object.hasOwn(cur, t)) cur = cur[t] as Json;
    else throw new PatchError(where, `path "${pointer}" does not exist`, true);
  }
  if (!Array.isArray(cur) && !isJsonObject(cur)) throw new PatchError(where, `path "${pointer}" does not exist`, true);
  return { parent: cur, last };
}

function get(doc: Json, pointer: string, where: string): Json {
  let cur: Json = doc;
  for (const t of tokensOf(pointer, where)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, pointer, where)] as Json;
    else if (isJsonObject(cur) && Object.hasOwn(cur, t)) cur = cur[t] as Json;
    else throw new PatchError(where, `path "${pointer}" does not exist`, true);
  }
  return cur;
}

function add(doc: Json, pointer: string, value: Json, where: string): Json {
  if (pointer === "") return value;
  const { parent, last } = parentOf(doc, pointer, where);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, pointer, where), 0, value);
  else (parent as JsonObject)[last] = value;
  return doc;
}

function remove(doc: Json, pointer: string, where: string): { doc: Json; removed: Json } {
  const { parent, last } = parentOf(doc, pointer, where);
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length, false, pointer, where);
    const [removed] = parent.splice(i, 1);
    return { doc, removed: removed as Json };
  }
  const obj = parent as JsonObject;
  if (!Object.hasOwn(obj, last)) throw new PatchError(where, `path "${pointer}" does not exist`, true);
  const removed = obj[last] as Json;
  delete obj[last];
  return { doc, removed };
}

function field(op: JsonObject, name: string, where: string): string {
  const v = op[name];
  if (typeof v !== "string") throw new PatchError(where, `operation "${String(op.op)}" needs a string "${name}"`);
  return v;
}

/** Parses and checks a JSON patch document: an array of operations, each well formed. */
export function parseJsonPatch(patch: Json): JsonObject[] {
  if (!Array.isArray(patch)) throw new PatchError("", "a JSON patch must be an array of operations");
  return patch.map((op, i) => {
    const where = `[${i}]`;
    if (!isJsonObject(op)) throw new PatchError(where, "each operation must be an object");
    if (typeof op.op !== "string" || !OPS.has(op.op)) throw new PatchError(`${where}.op`, `unsupported operation ${JSON.stringify(op.op ?? null)}: must be one of add, remove, replace, move, copy, test`);
    field(op, "path", where);
    if ((op.op === "add" || op.op === "replace" || op.op === "test") && !Object.hasOwn(op, "value")) throw new PatchError(where, `operation "${op.op}" needs a "value"`);
    if (op.op === "move" || op.op === "copy") field(op, "from", where);
    return op;
  });
}

/** Applies an RFC 6902 patch to a copy of `doc`. */
export function applyJsonPatch(doc: JsonObject, patch: Json): JsonObject {
  const ops = parseJsonPatch(patch);
  let out: Json = clone(doc);
  ops.forEach((op, i) => {
    const path = op.path as string;
    const where = `[${i}] ${op.op} ${path}`;
    switch (op.op) {
      case "add":
        out = add(out, path, clone(op.value as Json), where);
        break;
      case "remove":
        out = remove(out, path, where).doc;
        break;
      case "replace":
        get(out, path, where);
        out = path === "" ? clone(op.value as Json) : add(remove(out, path, where).doc, path, clone(op.value as Json), where);
        break;
      case "move": {
        const from = op.from as string;
        if (path.startsWith(`${from}/`)) throw new PatchError(where, `cannot move "${from}" into its own child "${path}"`);
        const r = remove(out, from, where);
        out = add(r.doc, path, r.removed, where);
        break;
      }
      case "copy":
        out = add(out, path, clone(get(out, op.from as string, where)), where);
        break;
      case "test":
        if (!deepEqual(get(out, path, where), op.value as Json)) throw new PatchError(where, `test failed: the value at "${path}" is not ${JSON.stringify(op.value)}`, true);
        break;
    }
  });
  if (!isJsonObject(out)) throw new PatchError("", "the patched document is not an object");
  return out;
}
