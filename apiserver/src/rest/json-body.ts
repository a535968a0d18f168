// A request body's bytes as JSON, strictly: broken UTF-8 is refused naming the string it is in
// (`metadata.labels.app: Invalid value: must be valid UTF-8`), as the gRPC edge's wire guard refuses
// it, instead of being replaced by U+FFFD as a lenient decoder would (the object stored would not
// be the one sent, nor could its name be the one on the URL).
import { isUtf8 } from "node:buffer";
import type { Json } from "@mk/proto/api";
import { BadRequestError } from "@mk/proto/client";

/** Marks the first broken sequence in the decoded text (private-use characters, never in a valid body's place). */
const MARK = "\uE000mk-broken-utf8\uE000";

/** The byte offset of the first broken UTF-8 sequence (the first byte a lossy decode changes). */
export function brokenUtf8At(bytes: Buffer): number {
  const again = Buffer.from(bytes.toString("utf8"));
  let i = 0;
  while (i < bytes.length && i < again.length && bytes[i] === again[i]) i++;
  return i;
}

/** The path (`spec.containers[0].image`) of the key or string holding `mark`, or undefined. */
function pathOf(v: Json, mark: string): string | undefined {
  const stack: { v: Json; path: string }[] = [{ v, path: "" }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { v: value, path } = top;
    if (typeof value === "string") {
      if (value.includes(mark)) return path;
    } else if (Array.isArray(value)) {
      for (const [i, x] of value.entries()) stack.push({ v: x, path: `${path}[${i}]` });
    } else if (value !== null && typeof value === "object") {
      for (const [k, x] of Object.entries(value)) {
        const p = path ? `${path}.${k}` : k;
        if (k.includes(mark)) return p;
        stack.push({ v: x, path: p });
      }
    }
  }
  return undefined;
}

/** The body as JSON; BadRequest for broken UTF-8 (naming where) or text that is not JSON. */
export function parseJsonBody(bytes: Buffer): Json {
  if (!isUtf8(bytes)) {
    const at = brokenUtf8At(bytes);
    let where: string | undefined;
    try {
      where = pathOf(JSON.parse(`${bytes.subarray(0, at).toString("utf8")}${MARK}${bytes.subarray(at).toString("utf8")}`) as Json, MARK);
    } catch {
      where = undefined; // not JSON either: the bytes' offset is all there is to name
    }
    throw new BadRequestError(
      where ? `${where}: Invalid value: must be valid UTF-8 (the request body's byte ${at})` : `the request body is not valid UTF-8: byte ${at} begins no UTF-8 character`,
    );
  }
  try {
    return JSON.parse(bytes.toString("utf8")) as Json;
  } catch (err) {
    throw new BadRequestError(`the request body is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
