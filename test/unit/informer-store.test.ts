import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyMeta, Pod } from "@mk/proto";
import { cloneCached, objectKey, Store } from "@mk/proto/informer";

const pod = (namespace: string, name: string, nodeName = "", labels: Record<string, string> = {}) =>
  Pod.fromPartial({ metadata: emptyMeta({ namespace, name, labels }), spec: { nodeName } as Pod["spec"] });

test("store: get, keys and list in key order, listByNamespace", () => {
  const s = new Store<Pod>();
  for (const p of [pod("b", "x"), pod("a", "y"), pod("a", "x")]) s.set(objectKey(p), p);
  assert.deepEqual(s.keys(), ["a/x", "a/y", "b/x"]);
  assert.deepEqual(s.list().map(objectKey), ["a/x", "a/y", "b/x"]);
  assert.deepEqual(s.listByNamespace("a").map(objectKey), ["a/x", "a/y"]);
  assert.deepEqual(s.listByNamespace("c"), []);
  assert.equal(s.get("b/x")?.metadata?.name, "x");
  assert.equal(s.size, 3);
  s.delete("a/x");
  assert.deepEqual(s.listByNamespace("a").map(objectKey), ["a/y"]);
});

test("store: pluggable indexers follow updates and deletes, and index existing objects when added", () => {
  const s = new Store<Pod>();
  s.set("d/p1", pod("d", "p1", "n1", { app: "web", tier: "fe" }));
  s.set("d/p2", pod("d", "p2", "n2", { app: "web" }));
  s.addIndexer("nodeName", (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
  s.addIndexer("label", (p) => Object.entries(p.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`));
  assert.deepEqual(s.byIndex("nodeName", "n1").map(objectKey), ["d/p1"]);
  assert.deepEqual(s.byIndex("label", "app=web").map(objectKey), ["d/p1", "d/p2"]);
  s.set("d/p3", pod("d", "p3"));
  assert.deepEqual(s.byIndex("nodeName", ""), [], "[] leaves an object out of the index");
  s.set("d/p1", pod("d", "p1", "n2", { app: "web" })); // moved, lost a label
  assert.deepEqual(s.byIndex("nodeName", "n1"), []);
  assert.deepEqual(s.byIndex("nodeName", "n2").map(objectKey), ["d/p1", "d/p2"]);
  assert.deepEqual(s.byIndex("label", "tier=fe"), []);
  s.delete("d/p2");
  assert.deepEqual(s.byIndex("nodeName", "n2").map(objectKey), ["d/p1"]);
  assert.throws(() => s.addIndexer("nodeName", () => []), /already exists/);
  assert.throws(() => s.byIndex("nope", "x"), /no indexer/);
});

test("cached objects are read-only by type; cloneCached gives a mutable deep copy", () => {
  const s = new Store<Pod>();
  s.set("d/p", pod("d", "p", "n1", { app: "web" }));
  const cached = s.get("d/p")!;
  // @ts-expect-error the store hands out DeepReadonly objects
  cached.metadata!.labels.app = "changed";
  // (the line above compiles only as an expected error; undo what it did at run time)
  (cached.metadata!.labels as Record<string, string>).app = "web";
  const copy = cloneCached("Pod", cached);
  copy.metadata!.labels.app = "db";
  copy.spec!.nodeName = "n9";
  assert.equal(s.get("d/p")?.metadata?.labels.app, "web");
  assert.equal(s.get("d/p")?.spec?.nodeName, "n1");
});
