// Table column definitions per kind (@mk/proto/api printers/): kubectl's headers, in kubectl's order,
// with priority 1 for the columns only -o wide shows.
import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyMeta, KIND_NAMES, Pod, TABLE_COLUMNS, tableColumns } from "@mk/proto";

test("pods: five columns by default, four more with -o wide", () => {
  assert.deepEqual(
    tableColumns("Pod", false).map((c) => c.name),
    ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
  );
  assert.deepEqual(
    tableColumns("Pod", true).map((c) => c.name),
    ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
  );
});

test("deployments: the wide columns are CONTAINERS, IMAGES and SELECTOR, at priority 1", () => {
  const wide = TABLE_COLUMNS.Deployment.filter((c) => c.priority === 1).map((c) => c.name);
  assert.deepEqual(wide, ["CONTAINERS", "IMAGES", "SELECTOR"]);
  assert.deepEqual(
    tableColumns("Deployment", false).map((c) => c.name),
    ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
  );
});

test("every kind has a name column and a description for every column; cells fill from the object", () => {
  for (const kind of KIND_NAMES) {
    const cols = TABLE_COLUMNS[kind];
    assert.ok(cols.some((c) => c.format === "name"), `${kind} has a name column`);
    for (const c of cols) assert.ok(c.description.length > 0, `${kind} ${c.name} is described`);
  }
  const pod = Pod.fromPartial({ metadata: emptyMeta({ name: "web-1", creationTimestamp: "2026-01-01T00:00:00Z" }), spec: { nodeName: "n1" } });
  const cells = tableColumns("Pod", true).map((c) => c.cell(pod, { now: Date.parse("2026-01-01T00:05:00Z") }));
  assert.deepEqual(cells, ["web-1", "0/0", "", "0", "5m", "<none>", "n1", "<none>", "<none>"]);
});
