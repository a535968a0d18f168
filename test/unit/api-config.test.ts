// ConfigMap and Secret semantics of @mk/proto: keys, the 1 MiB limit, the Secret types' required
// keys, stringData folding, and violations that never carry a Secret's value.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigMap, configKeyErrors, configMapViolations, emptyMeta, foldStringData, MAX_CONFIG_BYTES, Secret, secretViolations } from "@mk/proto";

test("config keys: [-._a-zA-Z0-9]+, not '.', '..' or a leading '..', at most 253", () => {
  for (const ok of ["a", "key.name", "KEY_NAME", "key-name", ".hidden", "tls.crt"]) assert.deepEqual(configKeyErrors(ok), [], ok);
  for (const bad of ["a/b", "a b", "", ".", "..", "..x", "x".repeat(254)]) assert.ok(configKeyErrors(bad).length > 0, bad);
});

test("ConfigMap: bad keys, data and binaryData sharing a key, over 1 MiB", () => {
  const cm = ConfigMap.fromPartial({ metadata: emptyMeta({ name: "c" }), data: { "a/b": "x", dup: "1" }, binaryData: { dup: Buffer.from("2") } });
  assert.deepEqual(
    configMapViolations(cm).map((v) => [v.field, v.value]),
    [
      ["data", "a/b"],
      ["data", "dup"],
    ],
  );
  const exact = ConfigMap.fromPartial({ data: { a: "x".repeat(MAX_CONFIG_BYTES - 1) }, binaryData: { b: Buffer.from("y") } });
  assert.deepEqual(configMapViolations(exact), []);
  const over = ConfigMap.fromPartial({ data: { a: "x".repeat(MAX_CONFIG_BYTES) }, binaryData: { b: Buffer.from("y") } });
  assert.deepEqual(
    configMapViolations(over).map((v) => [v.field, v.type]),
    [["data", "Too long"]],
  );
});

test("Secret types: required keys, basic-auth's either key, docker config JSON, no value in any violation", () => {
  const secretValue = "not-json-but-secret-42";
  const cases: [string, Record<string, string>, string[]][] = [
    ["Opaque", {}, []],
    ["kubernetes.io/tls", { "tls.crt": "c" }, ["data[tls.key]"]],
    ["kubernetes.io/ssh-auth", {}, ["data[ssh-privatekey]"]],
    ["kubernetes.io/basic-auth", {}, ["data[username]", "data[password]"]],
    ["kubernetes.io/basic-auth", { password: "p" }, []],
    ["kubernetes.io/dockerconfigjson", { ".dockerconfigjson": secretValue }, ["data[.dockerconfigjson]"]],
    ["kubernetes.io/dockerconfigjson", { ".dockerconfigjson": '{"auths":{}}' }, []],
  ];
  for (const [type, data, fields] of cases) {
    const s = Secret.fromPartial({ metadata: emptyMeta({ name: "s" }), type, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])) });
    const vs = secretViolations(s);
    assert.deepEqual(
      vs.map((v) => v.field),
      fields,
      type,
    );
    assert.doesNotMatch(JSON.stringify(vs), new RegExp(secretValue));
  }
  const big = Secret.fromPartial({ data: { a: Buffer.alloc(MAX_CONFIG_BYTES + 1) } });
  assert.deepEqual(
    secretViolations(big).map((v) => [v.field, v.type]),
    [["data", "Too long"]],
  );
});

test("stringData is merged into data, its keys winning, then emptied", () => {
  const s = Secret.fromPartial({ data: { a: Buffer.from("1"), b: Buffer.from("2") }, stringData: { b: "two", c: "three" } });
  foldStringData(s);
  assert.deepEqual(
    Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, v.toString()])),
    { a: "1", b: "two", c: "three" },
  );
  assert.deepEqual(s.stringData, {});
});
