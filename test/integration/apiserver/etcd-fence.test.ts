// The write fence (apiserver/src/storage/etcd-fence.ts): a write that timed out is fenced off before
// its error goes back, so when its bytes reach etcd later (here: held by a proxy, as a cut cable's
// are retransmitted) it changes nothing — even after its retry created the object and a delete
// removed it, which is what the lab-HA test saw come back. One real etcd; the API server's storage
// reaches it through the proxy and directly, as two members.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { ConfigMap } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { TimeoutError } from "@mk/proto/client";
import { EtcdStorage } from "@mk/apiserver/storage/etcd.js";
import { FENCE_PREFIX } from "@mk/apiserver/storage/etcd-fence.js";
import { Etcd3 } from "etcd3";
import { type NativeEtcd, startNativeEtcd } from "../../harness/etcd-native.js";
import { type HoldProxy, startHoldProxy } from "../../harness/hold-proxy.js";
import { sleep } from "../../harness/wait.js";

let etcd: NativeEtcd;
let proxy: HoldProxy;
let other: EtcdStorage;

before(async () => {
  etcd = await startNativeEtcd();
  const url = new URL(etcd.endpoint);
  proxy = await startHoldProxy({ host: url.hostname, port: Number(url.port) });
  other = new EtcdStorage({ endpoints: [etcd.endpoint] });
});
after(async () => {
  other?.close();
  await proxy?.close();
  await etcd?.stop();
});

const cm = (name: string, uid: string = randomUUID()) => ConfigMap.fromPartial({ metadata: { ...emptyMeta({ name, namespace: "default" }), uid }, data: { a: "1" } });

test("a create that timed out, delivered after its retry and a delete succeeded, changes nothing", async () => {
  // memberSyncMs 0: etcd lists one member, which would replace the proxy after a sync.
  const storage = new EtcdStorage({ endpoints: [proxy.endpoint, etcd.endpoint], timeoutMs: 1_500, memberSyncMs: 0 });
  try {
    await storage.create("ConfigMap", cm("warm-up"));
    // Connections through the proxy are open before it holds (a call on a new connection waits for
    // etcd's SETTINGS, so it never leaves): etcd3 picks a member per call, the probe asks each every second.
    for (let i = 0; i < 10; i++) await storage.get("ConfigMap", "default", "warm-up");
    await sleep(1_500);
    proxy.hold();
    // etcd3 sends each call to a member at random: create until one goes through the proxy and times out.
    let late: { name: string; uid: string } | undefined;
    for (let i = 0; i < 40 && !late; i++) {
      const obj = cm(`late-${i}`);
      try {
        await storage.create("ConfigMap", obj);
      } catch (err) {
        assert.ok(err instanceof TimeoutError, `a create through the held proxy times out (${String(err)})`);
        late = { name: `late-${i}`, uid: obj.metadata?.uid ?? "" };
      }
    }
    assert.ok(late, "one of 40 creates went through the held proxy");
    assert.ok(proxy.heldBytes() > 0, "its bytes are held");
    assert.equal(await other.get("ConfigMap", "default", late.name), undefined, "not applied yet");
    // The client's retry (same uid: the request id) creates it elsewhere; it is read and deleted.
    const retried = await other.create("ConfigMap", cm(late.name, late.uid));
    await other.remove("ConfigMap", "default", late.name, retried.metadata?.resourceVersion ?? "");
    proxy.release();
    for (let t = 0; t < 15; t++) {
      await sleep(200);
      assert.equal(await other.get("ConfigMap", "default", late.name), undefined, `${late.name} stays deleted after the held create arrived`);
    }
    assert.equal(proxy.heldBytes(), 0, "the held bytes were delivered");
    // The server writes on, against its new fence.
    await storage.create("ConfigMap", cm("after"));
  } finally {
    proxy.release();
    storage.close();
  }
});

test("a fence that vanished (its lease expired) is written again, and the write goes through", async () => {
  const storage = new EtcdStorage({ endpoints: [etcd.endpoint] });
  const raw = new Etcd3({ hosts: etcd.endpoint });
  try {
    await storage.create("ConfigMap", cm("before-expiry"));
    assert.ok((await raw.getAll().prefix(FENCE_PREFIX).keys()).length >= 1, "the fence key exists");
    await raw.delete().prefix(FENCE_PREFIX);
    const written = await storage.create("ConfigMap", cm("after-expiry"));
    assert.ok(written.metadata?.resourceVersion, "written");
    assert.equal((await raw.getAll().prefix(FENCE_PREFIX).keys()).length, 1, "the fence is back");
    await raw.delete().prefix(FENCE_PREFIX);
    await storage.update("ConfigMap", written, written.metadata?.resourceVersion ?? "");
    await storage.remove("ConfigMap", "default", "after-expiry", (await storage.get("ConfigMap", "default", "after-expiry"))?.metadata?.resourceVersion ?? "");
  } finally {
    raw.close();
    storage.close();
  }
});
