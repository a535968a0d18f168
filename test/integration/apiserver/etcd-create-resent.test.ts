// A create transaction re-sent after its answer was lost (by the API server's etcd client, or the
// client's retry of the whole call) finds its own object — same uid — and counts as written; a key
// held by another object is still AlreadyExists.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ConfigMap } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { AlreadyExistsError } from "@mk/proto/client";
import { EtcdStorage } from "@mk/apiserver/storage/etcd.js";
import { type NativeEtcd, startNativeEtcd } from "../../harness/etcd-native.js";

let etcd: NativeEtcd;
let storage: EtcdStorage;

before(async () => {
  etcd = await startNativeEtcd();
  storage = new EtcdStorage({ endpoints: [etcd.endpoint] });
});
after(async () => {
  storage?.close();
  await etcd?.stop();
});

const cm = (uid: string) => ConfigMap.fromPartial({ metadata: { ...emptyMeta({ name: "c", namespace: "default" }), uid }, data: { a: "1" } });

test("a create re-sent with the same uid returns the stored object; another uid is AlreadyExists", async () => {
  const first = await storage.create("ConfigMap", cm("11111111-1111-4111-8111-111111111111"));
  const again = await storage.create("ConfigMap", cm("11111111-1111-4111-8111-111111111111"));
  assert.equal(again.metadata?.resourceVersion, first.metadata?.resourceVersion, "the object written the first time");
  await assert.rejects(storage.create("ConfigMap", cm("22222222-2222-4222-8222-222222222222")), AlreadyExistsError);
});
