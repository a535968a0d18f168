// The cluster DNS server inside a real API server (real etcd), queried over UDP and TCP from node's
// sockets: the kube-dns Service and this server's endpoint; A of a ClusterIP Service; a headless
// Service's ready pod addresses and per-pod names; SRV of named ports (ClusterIP and headless);
// NXDOMAIN with the SOA for unknown names; empty NOERROR for AAAA of an existing name; TC for a UDP
// answer too large, the whole answer over TCP; PTR of a ClusterIP; other names forwarded to a stub
// upstream on loopback (and SERVFAIL once it is gone); changes followed; metrics counted.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type EndpointSlice, emptyMeta, type Endpoint, SERVICE_NAME_LABEL } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { answerData, query, type StubUpstream, startStubUpstream } from "../../harness/dns.js";
import { serviceObject, servicePort } from "../../harness/service.js";
import { eventually } from "../../harness/wait.js";

const RANGE = "10.104.0.0/16";
const DOMAIN = "cluster.local";
let api: TestApiServer;
let cs: Clientset;
let upstream: StubUpstream;
let port: number;

const fqdn = (svc: string, ns = "default") => `${svc}.${ns}.svc.${DOMAIN}`;

function endpoint(ip: string, o: { hostname?: string; ready?: boolean } = {}): Endpoint {
  return { addresses: [ip], conditions: { ready: o.ready ?? true, serving: o.ready ?? true, terminating: false }, hostname: o.hostname, targetRef: undefined };
}

function slice(name: string, service: string, endpoints: Endpoint[], ports: { name: string; port: number; protocol?: string }[]): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: emptyMeta({ name, namespace: "default", labels: { [SERVICE_NAME_LABEL]: service } }),
    addressType: "IPv4",
    endpoints,
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? "TCP" })),
  };
}

let webIp = "";

before(async () => {
  upstream = await startStubUpstream({ "example.test": "192.0.2.10" });
  api = await startTestApiServer({ serviceClusterIpRange: RANGE, httpListen: "127.0.0.1:0", dns: { port: 0, upstreams: [`127.0.0.1:${upstream.port}`], clusterDomain: DOMAIN } });
  port = api.server.dnsPort;
  cs = connect({ server: api.address });
  const web = await cs.services.create(
    serviceObject("web", { ports: [servicePort({ name: "http", port: 80, targetPort: "8080" }), servicePort({ name: "stats", port: 9125, protocol: "UDP", targetPort: "9125" })] }),
  );
  webIp = web.spec?.clusterIp ?? "";
  await cs.services.create(serviceObject("db", { clusterIp: "None", ports: [servicePort({ name: "pg", port: 5432, targetPort: "5433" })] }));
  await cs.endpointSlices.create(
    slice("db-1", "db", [endpoint("10.244.1.5", { hostname: "db-0" }), endpoint("10.244.2.7", { hostname: "db-1" }), endpoint("10.244.3.9"), endpoint("10.244.4.4", { hostname: "db-2", ready: false })], [{ name: "pg", port: 5433 }]),
  );
  // A headless Service with many pods: its A answer does not fit 512 bytes.
  await cs.services.create(serviceObject("big", { clusterIp: "None" }));
  await cs.endpointSlices.create(slice("big-1", "big", Array.from({ length: 60 }, (_, i) => endpoint(`10.245.0.${i + 1}`)), [{ name: "", port: 8080 }]));
  await eventually("the dns cache has the slices", async () => answerData(await query(port, fqdn("big"), "A", { transport: "tcp" })).length === 60);
});

after(async () => {
  cs?.close();
  await api?.stop();
  await upstream?.stop();
});

test("kube-system/kube-dns sits at the range's tenth address and points at this server's DNS port", async () => {
  const svc = await cs.services.get("kube-dns", "kube-system");
  assert.equal(svc.spec?.clusterIp, "10.104.0.10");
  assert.deepEqual(svc.metadata?.labels["k8s-app"], "kube-dns");
  assert.deepEqual(
    svc.spec?.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`),
    ["dns 53/UDP", "dns-tcp 53/TCP"],
  );
  assert.deepEqual(svc.spec?.selector, {});
  const ep = await cs.endpointSlices.get("kube-dns", "kube-system");
  assert.deepEqual(ep.endpoints.map((e) => e.addresses[0]), ["127.0.0.1"]);
  assert.deepEqual(ep.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`), [`dns ${port}/UDP`, `dns-tcp ${port}/TCP`]);
  const v1 = await cs.endpoints.get("kube-dns", "kube-system");
  assert.deepEqual(v1.subsets[0]?.addresses.map((a) => a.ip), ["127.0.0.1"]);
  // The server answers for its own Service, too.
  assert.deepEqual(answerData(await query(port, fqdn("kube-dns", "kube-system"), "A")), ["10.104.0.10"]);
});

test("A of a ClusterIP Service is its ClusterIP, authoritative, over UDP and TCP, whatever the case", async () => {
  for (const transport of ["udp", "tcp"] as const) {
    const r = await query(port, fqdn("web"), "A", { transport });
    assert.equal(r.rcode, "NOERROR");
    assert.deepEqual(answerData(r), [webIp], transport);
    assert.equal(r.packet.flag_aa, true);
    assert.equal(r.packet.answers?.[0]?.name, fqdn("web"));
  }
  assert.deepEqual(answerData(await query(port, "WEB.Default.SVC.cluster.local.", "A")), [webIp]);
  assert.deepEqual(answerData(await query(port, fqdn("kubernetes"), "A")), ["10.104.0.1"]);
});

test("headless: the ready pods' addresses, and HOSTNAME.SVC.NS.svc per pod", async () => {
  assert.deepEqual(answerData(await query(port, fqdn("db"), "A")), ["10.244.1.5", "10.244.2.7", "10.244.3.9"]);
  assert.deepEqual(answerData(await query(port, `db-0.${fqdn("db")}`, "A")), ["10.244.1.5"]);
  assert.deepEqual(answerData(await query(port, `db-1.${fqdn("db")}`, "A")), ["10.244.2.7"]);
  // Without a hostname an endpoint is named by its dashed address (CoreDNS).
  assert.deepEqual(answerData(await query(port, `10-244-3-9.${fqdn("db")}`, "A")), ["10.244.3.9"]);
  // A pod that is not ready has no name.
  assert.equal((await query(port, `db-2.${fqdn("db")}`, "A")).rcode, "NXDOMAIN");
  // Per-pod names exist under headless Services only.
  assert.equal((await query(port, `db-0.${fqdn("web")}`, "A")).rcode, "NXDOMAIN");
});

test("SRV of a named port: the Service's port and name; headless: each pod's name and the endpoint port", async () => {
  const r = await query(port, `_http._tcp.${fqdn("web")}`, "SRV");
  assert.equal(r.rcode, "NOERROR");
  assert.deepEqual(answerData(r, "SRV"), [`80 ${fqdn("web")}`]);
  assert.deepEqual(
    (r.packet.additionals ?? []).filter((x) => x.type === "A").map((x) => `${x.name} ${x.type === "A" ? x.data : ""}`),
    [`${fqdn("web")} ${webIp}`],
  );
  assert.deepEqual(answerData(await query(port, `_stats._udp.${fqdn("web")}`, "SRV"), "SRV"), [`9125 ${fqdn("web")}`]);
  // The protocol is part of the name.
  assert.equal((await query(port, `_stats._tcp.${fqdn("web")}`, "SRV")).rcode, "NXDOMAIN");
  assert.equal((await query(port, `_nosuch._tcp.${fqdn("web")}`, "SRV")).rcode, "NXDOMAIN");
  assert.deepEqual(answerData(await query(port, `_pg._tcp.${fqdn("db")}`, "SRV"), "SRV"), [
    `5433 10-244-3-9.${fqdn("db")}`,
    `5433 db-0.${fqdn("db")}`,
    `5433 db-1.${fqdn("db")}`,
  ]);
});

test("unknown names in the zone are NXDOMAIN with the zone's SOA", async () => {
  for (const name of [fqdn("nosuch"), fqdn("web", "nosuchns"), `x.y.z.${DOMAIN}`, `web.default.svc.${DOMAIN}.x.${DOMAIN}`]) {
    const r = await query(port, name, "A");
    assert.equal(r.rcode, "NXDOMAIN", name);
    assert.deepEqual(r.packet.answers, []);
    const soa = r.packet.authorities?.[0];
    assert.equal(soa?.type, "SOA", name);
    assert.equal(soa?.name, DOMAIN);
  }
});

test("AAAA (or MX) of an existing name: NOERROR with no answer, SOA in authority", async () => {
  for (const type of ["AAAA", "MX"] as const) {
    const r = await query(port, fqdn("web"), type);
    assert.equal(r.rcode, "NOERROR", type);
    assert.deepEqual(r.packet.answers, [], type);
    assert.equal(r.packet.authorities?.[0]?.type, "SOA");
  }
  // The zone's own SOA, and names between it and the Services.
  assert.equal(answerData(await query(port, DOMAIN, "SOA"), "SOA").length, 1);
  assert.equal((await query(port, `default.svc.${DOMAIN}`, "A")).rcode, "NOERROR");
});

test("a UDP answer larger than 512 bytes is truncated (TC) to what fits; EDNS and TCP get all of it", async () => {
  const udp = await query(port, fqdn("big"), "A");
  assert.equal(udp.packet.flag_tc, true);
  assert.ok(udp.bytes <= 512, `${udp.bytes} bytes`);
  assert.ok(answerData(udp).length > 0 && answerData(udp).length < 60, `${answerData(udp).length} records fit`);
  const tcp = await query(port, fqdn("big"), "A", { transport: "tcp" });
  assert.equal(tcp.packet.flag_tc, false);
  assert.equal(answerData(tcp).length, 60);
  const edns = await query(port, fqdn("big"), "A", { edns: 4096 });
  assert.equal(edns.packet.flag_tc, false);
  assert.equal(answerData(edns).length, 60);
  // A small answer is not truncated.
  assert.equal((await query(port, fqdn("web"), "A")).packet.flag_tc, false);
});

test("PTR of a ClusterIP names its Service", async () => {
  const rev = webIp.split(".").reverse().join(".");
  assert.deepEqual(answerData(await query(port, `${rev}.in-addr.arpa`, "PTR"), "PTR"), [fqdn("web")]);
});

test("other names go to the upstream, over the query's transport", async () => {
  for (const transport of ["udp", "tcp"] as const) {
    const before = upstream.asked.length;
    const r = await query(port, "example.test", "A", { transport });
    assert.equal(r.rcode, "NOERROR");
    assert.deepEqual(answerData(r), ["192.0.2.10"]);
    assert.deepEqual(upstream.asked.slice(before), [{ name: "example.test", transport }]);
  }
  assert.equal((await query(port, "nosuch.test", "A")).rcode, "NXDOMAIN");
  // Names in the zone never leave the server.
  const asked = upstream.asked.length;
  await query(port, fqdn("nosuch"), "A");
  assert.equal(upstream.asked.length, asked);
});

test("the answers follow Services and EndpointSlices as they change", async () => {
  const svc = await cs.services.create(serviceObject("later"));
  await eventually("later resolves", async () => answerData(await query(port, fqdn("later"), "A"))[0] === svc.spec?.clusterIp);
  await cs.endpointSlices.create(slice("db-2", "db", [endpoint("10.244.5.5", { hostname: "db-3" })], [{ name: "pg", port: 5433 }]));
  await eventually("db-3 resolves", async () => answerData(await query(port, `db-3.${fqdn("db")}`, "A"))[0] === "10.244.5.5");
  assert.deepEqual(answerData(await query(port, fqdn("db"), "A")), ["10.244.1.5", "10.244.2.7", "10.244.3.9", "10.244.5.5"]);
  await cs.endpointSlices.delete("db-2", "default");
  await cs.services.delete("later", "default");
  await eventually("later is gone", async () => (await query(port, fqdn("later"), "A")).rcode === "NXDOMAIN");
  await eventually("db-3 is gone", async () => (await query(port, `db-3.${fqdn("db")}`, "A")).rcode === "NXDOMAIN");
});

test("queries are counted by type and rcode, and timed", async () => {
  await query(port, fqdn("nosuch"), "A");
  const text = await (await fetch(`http://127.0.0.1:${api.server.httpPort}/metrics`)).text();
  assert.match(text, /mk_dns_queries_total\{type="A",rcode="NXDOMAIN",transport="udp",source="zone"\} [1-9]/);
  assert.match(text, /mk_dns_queries_total\{type="SRV",rcode="NOERROR",transport="udp",source="zone"\} [1-9]/);
  assert.match(text, /mk_dns_request_duration_seconds_count\{transport="udp",source="zone"\} [1-9]/);
});

// Last: it stops the upstream.
test("an upstream that does not answer gives SERVFAIL", async () => {
  await upstream.stop();
  const r = await query(port, "example.test", "A", { timeoutMs: 10_000 });
  assert.equal(r.rcode, "SERVFAIL");
});
