// An event's write names a lease the storage reuses for a while (LeasePool); when etcd has lost that
// lease (revoked, or expired while this server was cut off), the write gets a new lease instead of
// failing with "requested lease not found".
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Event } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
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

const ev = (name: string) => Event.fromPartial({ metadata: emptyMeta({ name, namespace: "default" }), reason: "Tested", message: name });

test("a write whose cached event lease etcd has lost gets a new lease", async () => {
  await storage.create("Event", ev("e1"), { ttlSeconds: 3600 });
  const first = await storage.leaseOf("Event", "default", "e1");
  assert.ok(first, "e1 is written with a lease");
  await storage.create("Event", ev("e2"), { ttlSeconds: 3600 });
  assert.equal((await storage.leaseOf("Event", "default", "e2"))?.lease, first.lease, "the lease is reused within its window");

  await storage.revokeLease(first.lease);
  assert.equal(await storage.get("Event", "default", "e1"), undefined, "a revoked lease takes its keys along");

  await storage.create("Event", ev("e3"), { ttlSeconds: 3600 });
  const third = await storage.leaseOf("Event", "default", "e3");
  assert.ok(third, "e3 is written with a lease");
  assert.notEqual(third.lease, first.lease, "a new lease");
  assert.ok(third.ttl > 3500, `its TTL is the event TTL (${third.ttl} s)`);
});
