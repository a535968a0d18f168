// The HTTP edge's request bodies (apiserver/src/rest/json-body.ts, subresources.ts' readJson), as
// the HTTP request fuzzer found them wanting: broken UTF-8 was replaced by U+FFFD and stored (an
// Event's source.component accepted with bytes it never had), and a PATCH body over 3 MiB was a 400.
import assert from "node:assert/strict";
import { test } from "node:test";
import { brokenUtf8At, parseJsonBody } from "@mk/apiserver/rest/json-body.js";
import { readJson } from "@mk/apiserver/rest/subresources.js";
import { BadRequestError, RequestEntityTooLargeError } from "@mk/proto/client";

/** JSON text with `bytes` spliced in where `@@` is. */
const withBytes = (text: string, bytes: number[]) => {
  const at = text.indexOf("@@");
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at + 2))]);
};

test("broken UTF-8 in a string is refused naming the string's field and the byte", () => {
  const body = withBytes('{"metadata":{"name":"web"},"spec":{"containers":[{"name":"c","image":"mk/w@@eb"}]}}', [0xc3, 0x28]);
  assert.throws(
    () => parseJsonBody(body),
    (e: unknown) => e instanceof BadRequestError && e.message === `spec.containers[0].image: Invalid value: must be valid UTF-8 (the request body's byte ${body.indexOf(0xc3)})`,
  );
  for (const bad of [[0xff], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80]]) {
    assert.throws(() => parseJsonBody(withBytes('{"source":{"component":"kube@@let"}}', bad)), /^BadRequestError: source\.component: Invalid value: must be valid UTF-8/);
  }
});

test("broken UTF-8 in a key names the key; outside any string, the byte", () => {
  assert.throws(() => parseJsonBody(withBytes('{"metadata":{"labels":{"a@@":"b"}}}', [0xff])), /metadata\.labels\.a.*: Invalid value: must be valid UTF-8/);
  assert.throws(() => parseJsonBody(withBytes('{"a":1@@}', [0xff])), /the request body is not valid UTF-8: byte 6 begins no UTF-8 character/);
});

test("valid UTF-8 passes unchanged, U+FFFD itself included; text that is no JSON is named so", () => {
  const text = '{"a":"é ✓ 🚀 \uFFFD"}';
  assert.deepEqual(parseJsonBody(Buffer.from(text)), { a: "é ✓ 🚀 \uFFFD" });
  assert.equal(brokenUtf8At(Buffer.from(text)), Buffer.byteLength(text));
  assert.throws(() => parseJsonBody(Buffer.from('{"a":')), /the request body is not JSON/);
});

test("a PATCH (or subresource) body over 3 MiB is 413 RequestEntityTooLarge, as a POST's", async () => {
  async function* body(n: number) {
    for (let sent = 0; sent < n; sent += 64 * 1024) yield Buffer.alloc(Math.min(64 * 1024, n - sent), 0x20);
  }
  const err = await readJson(body(3 * 1024 * 1024 + 1)).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof RequestEntityTooLargeError, String(err));
  assert.equal(err.httpStatus, 413);
  assert.match(err.message, /Request entity too large: limit is 3145728/);
});
