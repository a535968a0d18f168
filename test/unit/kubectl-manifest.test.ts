// mkctl's manifest reader keeps YAML 1.1's octal integers, as kubectl does: `defaultMode: 0400` is 256.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseManifestText } from "@mk/kubectl/manifest.js";

test("a leading-zero integer is octal (YAML 1.1, as kubectl reads it); 0o, decimal and quoted forms as usual", () => {
  const [m] = parseManifestText("kind: Pod\nmodes: {a: 0400, b: 0644, c: 0o400, d: 400, e: '0400', f: 0, g: 08}\n", "t.yaml");
  assert.deepEqual(m?.doc.modes, { a: 256, b: 420, c: 256, d: 400, e: "0400", f: 0, g: 8 });
});
