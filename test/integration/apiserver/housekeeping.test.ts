import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { emptyMeta, type Event } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { freePort } from "../../harness/etcd.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { failure, pod } from "./fixtures.js";
import { eventually } from "../../harness/wait.js";

let api: TestApiServer;
let cs: Clientset;
let httpBase: string;

before(async () => {
  const port = await freePort();
  api = await startTestApiServer({ eventTtlSeconds: 2, httpListen: `127.0.0.1:${port}` });
  httpBase = `http://127.0.0.1:${port}`;
  cs = connect({ server: api.address, retry: { attempts: 1 } });
});
after(async () => {
  cs?.close();
  await api?.stop();
});

function event(name: string): Event {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: emptyMeta({ name, namespace: "default" }),
    involvedObject: { apiVersion: "v1", kind: "Pod", namespace: "default", name: "web-1", uid: "", resourceVersion: "", fieldPath: "" },
    reason: "Scheduled",
    message: "Successfully assigned default/web-1 to n1",
    source: { component: "mk-scheduler", host: "" },
    firstTimestamp: "",
    lastTimestamp: "",
    count: 0,
    type: "Normal",
    reportingComponent: "mk-scheduler",
    reportingInstance: "",
  };
}

test("events are stored with a lease and expire after the event TTL", async () => {
  const ev = await cs.events.create(event("web-1.1"));
  assert.equal(ev.count, 1);
  assert.ok(ev.firstTimestamp);
  const lease = await api.server.storage.leaseOf("Event", "default", "web-1.1");
  assert.ok(lease, "the event's key carries a lease");
  assert.ok(lease.ttl > 0 && lease.ttl <= 3, `lease TTL ${lease.ttl}s`);
  // A repeated event is an update that bumps count (the recorder's job) and renews the lease.
  ev.count = 2;
  const again = await cs.events.update(ev);
  assert.equal(again.count, 2);
  // Pods get no lease.
  await cs.pods.create(pod("no-lease"));
  assert.equal(await api.server.storage.leaseOf("Pod", "default", "no-lease"), undefined);
  await eventually(
    "the event to expire",
    async () => {
      try {
        await cs.events.get("web-1.1", "default");
        return false;
      } catch (err) {
        return (err as { code?: number }).code === status.NOT_FOUND;
      }
    },
    10_000,
  );
});

test("an event must name its object", async () => {
  const bad = event("bad.1");
  bad.involvedObject = undefined;
  const e = await failure(() => cs.events.create(bad));
  assert.equal(e.code, status.INVALID_ARGUMENT);
  assert.match(e.message, /involvedObject: Required value/);
});

test("/healthz, /readyz and /metrics", async () => {
  assert.equal((await fetch(`${httpBase}/healthz`)).status, 200);
  assert.equal((await fetch(`${httpBase}/readyz`)).status, 200);
  // A watch shows in the gauge while open and leaves it when cancelled.
  const ac = new AbortController();
  const it = cs.pods.watch({ signal: ac.signal, resourceVersion: String(api.server.hub.lastRevision) });
  void it.next().catch(() => {});
  const gauge = async () => {
    const text = await (await fetch(`${httpBase}/metrics`)).text();
    return Number(/mk_apiserver_watches_open\{kind="Pod"\} (\d+)/.exec(text)?.[1] ?? "0");
  };
  await eventually("watch counted", async () => (await gauge()) === 1, 5_000);
  ac.abort();
  await eventually("watch released", async () => (await gauge()) === 0, 5_000);
  const text = await (await fetch(`${httpBase}/metrics`)).text();
  assert.match(text, /mk_apiserver_requests_total\{method="Create",kind="Event",code="OK"\} \d+/);
  assert.match(text, /mk_apiserver_request_duration_seconds_bucket/);
  assert.match(text, /mk_apiserver_etcd_request_duration_seconds_bucket\{le="[^"]+",operation="create"\}/);
});

test("compaction keeps one interval of history", async () => {
  const p = await cs.pods.create(pod("compact-me"));
  const rv = p.metadata?.resourceVersion ?? "";
  await api.server.compactor.tick(); // remembers the current revision
  await cs.pods.delete("compact-me", "default");
  await api.server.compactor.tick(); // compacts to what it remembered
  const e = await failure(() => api.server.storage.assertNotCompacted(String(Number(rv) - 1)));
  assert.equal(e.code, status.OUT_OF_RANGE);
  await api.server.storage.assertNotCompacted(String(api.server.hub.lastRevision));
});
