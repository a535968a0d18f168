// An InvalidError's causes travel as gRPC metadata, which must be printable ASCII: a field error
// quoting a label key "é" threw inside the API server's edge and brought the process down.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromServiceError, InvalidError, toServiceError } from "@mk/proto/client";

test("causes quoting values outside ASCII cross the edge unchanged", () => {
  const fields = [
    { field: "metadata.labels", type: "Invalid", value: '"é"', detail: "name part must consist of alphanumeric characters" },
    { field: "metadata.annotations[x]", type: "Invalid", value: '"😀 \u0001"', detail: "" },
  ];
  const status = toServiceError(new InvalidError('Pod "p" is invalid: metadata.labels: Invalid value: "é"', fields));
  const raw = status.metadata?.get("mk-causes")[0];
  assert.equal(typeof raw, "string");
  assert.match(String(raw), /^[\x20-\x7e]*$/, "the metadata value is printable ASCII");
  const back = fromServiceError({ ...status, message: status.details });
  assert.ok(back instanceof InvalidError);
  assert.deepEqual(back.fields, fields);
});
