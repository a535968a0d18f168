import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyMeta, Pod } from "@mk/proto";
import { indexByOwnerUid, objectKey, OWNER_UID_INDEX, Store } from "@mk/proto/informer";

const owned = (name: string, ...uids: string[]) =>
  Pod.fromPartial({ metadata: emptyMeta({ namespace: "d", name, ownerReferences: uids.map((uid) => ({ apiVersion: "v1", kind: "X", name: uid, uid })) }) });

test("owner-uid index: dependents by owner uid, following reference changes; adding it twice is harmless", () => {
  const s = new Store<Pod>();
  s.set("d/a", owned("a", "u1"));
  indexByOwnerUid(s);
  indexByOwnerUid(s); // a second controller on the same shared informer
  assert.ok(s.hasIndexer(OWNER_UID_INDEX));
  s.set("d/b", owned("b", "u1", "u2"));
  s.set("d/c", owned("c"));
  assert.deepEqual(s.byIndex(OWNER_UID_INDEX, "u1").map(objectKey), ["d/a", "d/b"]);
  assert.deepEqual(s.byIndex(OWNER_UID_INDEX, "u2").map(objectKey), ["d/b"]);
  s.set("d/b", owned("b", "u2")); // the reference to u1 removed (orphaned)
  assert.deepEqual(s.byIndex(OWNER_UID_INDEX, "u1").map(objectKey), ["d/a"]);
  s.delete("d/a");
  assert.deepEqual(s.byIndex(OWNER_UID_INDEX, "u1"), []);
  assert.equal(s.hasIndexer("nope"), false);
});
