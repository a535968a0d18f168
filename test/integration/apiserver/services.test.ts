// Services through two API servers on one etcd: ClusterIPs and NodePorts are allocated with a
// compare-and-swap on one bitmap key each, so 100 concurrent creates split between the servers never
// share an address, the creates past the range's size are refused naming the field, and deleting
// them all leaves nothing held. Bad input is refused naming the field, and writes nothing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ApiServer, startApiServer } from "@mk/apiserver";
import type { Service, ServicePort } from "@mk/proto";
import { type Clientset, connect, InvalidError, NotFoundError } from "@mk/proto/client";
import { pino } from "pino";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { startEtcd } from "../../harness/etcd.js";
import { serviceObject, servicePort } from "../../harness/service.js";
import { failure } from "./fixtures.js";

/** A /28 holds 14 addresses (16 less network and broadcast); the `kubernetes` Service has the first. */
const RANGE = "10.100.0.0/28";
const FREE_AFTER_KUBERNETES = 13;
const CONCURRENT = 100;

let api: TestApiServer;
let second: ApiServer;
let cs: Clientset;
let cs2: Clientset;

before(async () => {
  api = await startTestApiServer({ serviceClusterIpRange: RANGE });
  second = await startApiServer({
    httpListen: "",
    logger: pino({ level: "silent" }),
    etcdServers: [api.etcd.endpoint],
    listen: "127.0.0.1:0",
    serviceClusterIpRange: RANGE,
  });
  cs = connect({ server: api.address, retry: { attempts: 1 } });
  cs2 = connect({ server: second.address, retry: { attempts: 1 } });
});
after(async () => {
  cs?.close();
  cs2?.close();
  await second?.stop();
  await api?.stop();
});

const port = servicePort;

function service(name: string, opts: { type?: string; clusterIp?: string; ports?: ServicePort[] } = {}): Service {
  return serviceObject(name, { type: opts.type ?? "", clusterIp: opts.clusterIp ?? "", ...(opts.ports ? { ports: opts.ports } : {}) });
}

async function refusedOn(field: string, svc: Service): Promise<void> {
  const err = await failure(() => cs.services.create(svc));
  assert.ok(err instanceof InvalidError, `expected Invalid, got ${err}`);
  assert.ok(
    err.fields.some((f) => f.field === field),
    `expected an error on ${field}, got ${JSON.stringify(err.fields)}`,
  );
  const gone = await failure(() => cs.services.get(svc.metadata?.name ?? "", "default"));
  assert.ok(gone instanceof NotFoundError, "nothing is written");
}

test("the kubernetes Service sits at the range's first address and points at the API server", async () => {
  const svc = await cs.services.get("kubernetes", "default");
  assert.equal(svc.spec?.clusterIp, "10.100.0.1");
  assert.deepEqual(svc.spec?.clusterIps, ["10.100.0.1"]);
  const ep = await cs.endpoints.get("kubernetes", "default");
  assert.deepEqual(
    ep.subsets[0]?.addresses.map((a) => a.ip),
    ["127.0.0.1"],
  );
  // Both servers listen on 127.0.0.1 (on two ports here; a real cluster's share one): the last one up wins the port.
  assert.ok([api.server.port, second.port].includes(ep.subsets[0]?.ports[0]?.port ?? 0));
  const slice = await cs.endpointSlices.get("kubernetes", "default");
  assert.deepEqual(slice.endpoints.map((e) => e.addresses[0]), ["127.0.0.1"]);
});

test("100 concurrent creates through two API servers: distinct ClusterIPs, the rest refused naming the field, nothing leaked", async () => {
  const results = await Promise.allSettled(
    Array.from({ length: CONCURRENT }, (_, i) => (i % 2 === 0 ? cs : cs2).services.create(service(`burst-${i}`))),
  );
  const created = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  assert.equal(created.length, FREE_AFTER_KUBERNETES);
  const ips = created.map((s) => s.spec?.clusterIp ?? "");
  assert.equal(new Set(ips).size, created.length, `every ClusterIP distinct: ${ips.join(" ")}`);
  for (const ip of ips) assert.match(ip, /^10\.100\.0\.(\d+)$/);
  assert.ok(!ips.includes("10.100.0.1"));
  assert.equal(refused.length, CONCURRENT - FREE_AFTER_KUBERNETES);
  for (const err of refused) {
    assert.ok(err instanceof InvalidError, `refused as Invalid: ${err}`);
    assert.deepEqual(
      err.fields.map((f) => f.field),
      ["spec.clusterIP"],
    );
    assert.match(err.message, /range .* is full/);
  }
  assert.equal(await api.server.allocations.ips.used(), 1 + FREE_AFTER_KUBERNETES);
  await Promise.all(created.map((s, i) => (i % 2 === 0 ? cs : cs2).services.delete(s.metadata?.name ?? "", "default")));
  assert.equal(await api.server.allocations.ips.used(), 1, "only the kubernetes Service holds an address");
});

test("defaults: ClusterIP type, TCP, targetPort = port; a targetPort name no container has is accepted", async () => {
  const svc = await cs.services.create(service("defaults", { ports: [port({ name: "http", port: 80 }), port({ name: "named", port: 81, targetPort: "nosuchport" })] }));
  assert.equal(svc.spec?.type, "ClusterIP");
  assert.equal(svc.spec?.ports[0]?.protocol, "TCP");
  assert.equal(svc.spec?.ports[0]?.targetPort, "80");
  assert.equal(svc.spec?.ports[1]?.targetPort, "nosuchport");
  assert.equal(svc.spec?.ports[0]?.nodePort, 0);
  await cs.services.delete("defaults", "default");
});

test("NodePort: allocated in 30000-32767, a requested one honoured, a taken one refused, released on delete", async () => {
  const auto = await cs.services.create(service("np-auto", { type: "NodePort" }));
  const allocated = auto.spec?.ports[0]?.nodePort ?? 0;
  assert.ok(allocated >= 30000 && allocated <= 32767, `nodePort ${allocated} in range`);
  const asked = await cs2.services.create(service("np-asked", { type: "NodePort", ports: [port({ port: 80, nodePort: 31234 })] }));
  assert.equal(asked.spec?.ports[0]?.nodePort, 31234);
  await refusedOn("spec.ports[0].nodePort", service("np-taken", { type: "NodePort", ports: [port({ port: 80, nodePort: 31234 })] }));
  await cs.services.delete("np-asked", "default");
  const again = await cs.services.create(service("np-again", { type: "NodePort", ports: [port({ port: 80, nodePort: 31234 })] }));
  assert.equal(again.spec?.ports[0]?.nodePort, 31234, "released on delete");
  await cs.services.delete("np-again", "default");
  await cs.services.delete("np-auto", "default");
  assert.equal(await api.server.allocations.ports.used(), 0);
});

test("a requested ClusterIP is honoured when free and refused when taken or outside the range", async () => {
  const svc = await cs.services.create(service("fixed", { clusterIp: "10.100.0.9" }));
  assert.equal(svc.spec?.clusterIp, "10.100.0.9");
  await refusedOn("spec.clusterIP", service("fixed-taken", { clusterIp: "10.100.0.9" }));
  await refusedOn("spec.clusterIP", service("fixed-outside", { clusterIp: "10.200.0.9" }));
  // An update that leaves the address out keeps it; one that changes it is refused.
  const current = await cs.services.get("fixed", "default");
  assert.ok(current.spec);
  current.spec.clusterIp = "";
  current.spec.clusterIps = [];
  const kept = await cs.services.update(current);
  assert.equal(kept.spec?.clusterIp, "10.100.0.9");
  assert.ok(kept.spec);
  kept.spec.clusterIp = "10.100.0.10";
  kept.spec.clusterIps = ["10.100.0.10"];
  const err = await failure(() => cs.services.update(kept));
  assert.ok(err instanceof InvalidError);
  assert.ok(err.fields.some((f) => f.field === "spec.clusterIP"));
  await cs.services.delete("fixed", "default");
});

test("bad input is refused naming the field, and holds nothing", async () => {
  const before = { ips: await api.server.allocations.ips.used(), ports: await api.server.allocations.ports.used() };
  await refusedOn("spec.ports[1].name", service("dup-names", { ports: [port({ name: "web", port: 80 }), port({ name: "web", port: 81 })] }));
  await refusedOn("spec.ports[1]", service("dup-ports", { ports: [port({ name: "a", port: 80 }), port({ name: "b", port: 80 })] }));
  await refusedOn("spec.ports[0].nodePort", service("np-80", { type: "NodePort", ports: [port({ port: 80, nodePort: 80 })] }));
  await refusedOn("spec.ports[0].nodePort", service("np-on-clusterip", { ports: [port({ port: 80, nodePort: 30080 })] }));
  await refusedOn("spec.ports[0].protocol", service("sctp", { ports: [port({ port: 80, protocol: "SCTP" })] }));
  await refusedOn("spec.type", service("lb", { type: "LoadBalancer" }));
  // A bad port after a good node port: the good one taken for the create is given back.
  await refusedOn(
    "spec.ports[1].nodePort",
    service("np-half", { type: "NodePort", ports: [port({ name: "a", port: 80, nodePort: 30500 }), port({ name: "b", port: 81, nodePort: 99 })] }),
  );
  assert.deepEqual({ ips: await api.server.allocations.ips.used(), ports: await api.server.allocations.ports.used() }, before);
});

test("a headless Service gets no ClusterIP", async () => {
  const svc = await cs.services.create(service("headless", { clusterIp: "None" }));
  assert.equal(svc.spec?.clusterIp, "None");
  await cs.services.delete("headless", "default");
});

test("two API servers starting together on a fresh etcd both come up, with one kubernetes Service", async () => {
  const etcd = await startEtcd();
  const start = () => startApiServer({ httpListen: "", logger: pino({ level: "silent" }), etcdServers: [etcd.endpoint], listen: "127.0.0.1:0", serviceClusterIpRange: RANGE });
  try {
    const started = await Promise.allSettled([start(), start()]);
    const up = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const services = up[0] ? (await up[0].storage.list("Service", "default")).items : [];
    for (const server of up) await server.stop();
    assert.deepEqual(
      services.map((s) => `${s.metadata?.name} ${s.spec?.clusterIp}`),
      ["kubernetes 10.100.0.1"],
    );
    assert.deepEqual(
      started.map((s) => s.status),
      ["fulfilled", "fulfilled"],
      started.map((s) => (s.status === "rejected" ? String(s.reason) : "")).join(" "),
    );
  } finally {
    await etcd.stop();
  }
});
