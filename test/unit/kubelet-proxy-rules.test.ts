// The node proxy's ruleset as iptables-restore text, from Services and EndpointSlices (kube-proxy's
// way of testing its proxier: the whole text for a small state), and the pieces that decide it: which
// endpoints count, chain names within iptables' 28 bytes, stale chains deleted in the same write.
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildRuleset, chainsIn, sepChain, svcChain } from "@mk/kubelet/proxy/ruleset.js";
import { servicePorts } from "@mk/kubelet/proxy/service-ports.js";
import { type EndpointSlice, emptyMeta, proxyNames, type Service } from "@mk/proto";

const names = proxyNames("127.0.0.1:6443");
const h = names.servicesChain.slice("MK-SERVICES-".length);

function svc(name: string, clusterIp: string, ports: { name: string; port: number; protocol?: string; nodePort?: number }[], type = "ClusterIP"): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: emptyMeta({ name, namespace: "default" }),
    spec: {
      ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? "TCP", targetPort: "", nodePort: p.nodePort ?? 0 })),
      selector: {},
      clusterIp,
      clusterIps: [clusterIp],
      type,
      sessionAffinity: "None",
      publishNotReadyAddresses: false,
      externalTrafficPolicy: "",
      internalTrafficPolicy: "",
    },
    status: undefined,
  };
}

function slice(service: string, ports: { name: string; port: number; protocol?: string }[], eps: { ip: string; ready?: boolean; serving?: boolean; terminating?: boolean }[]): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: emptyMeta({ name: `${service}-x`, namespace: "default", labels: { "kubernetes.io/service-name": service } }),
    addressType: "IPv4",
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? "TCP" })),
    endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating } })),
  };
}

test("proxy ruleset: ClusterIP → SVC with random 1/n → SEP (hairpin mark, DNAT); NodePort; REJECT without endpoints; stale chains deleted", () => {
  const services = [
    svc("web", "10.96.0.20", [{ name: "http", port: 80, nodePort: 30080 }], "NodePort"),
    svc("dns", "10.96.0.10", [{ name: "dns", port: 53, protocol: "UDP" }]),
    svc("empty", "10.96.0.30", [{ name: "", port: 80, nodePort: 30090 }], "NodePort"),
    svc("headless", "None", [{ name: "", port: 80 }]),
  ];
  const slices = [
    slice("web", [{ name: "http", port: 8080 }], [{ ip: "10.244.1.3" }, { ip: "10.244.0.2" }, { ip: "10.244.1.9", ready: false }]),
    slice("dns", [{ name: "dns", port: 53, protocol: "UDP" }], [{ ip: "127.0.0.1" }]),
    slice("empty", [{ name: "", port: 8080 }], [{ ip: "10.244.0.7", ready: false }]),
  ];
  const ports = servicePorts(services, slices);
  assert.deepEqual(
    ports.map((p) => [p.name, p.protocol, p.endpoints.map((e) => `${e.ip}:${e.port}`)]),
    [
      ["default/dns:dns", "UDP", ["127.0.0.1:53"]],
      ["default/empty:", "TCP", []],
      ["default/web:http", "TCP", ["10.244.0.2:8080", "10.244.1.3:8080"]],
    ],
  );
  const web = ports[2];
  const dns = ports[0];
  assert.ok(web && dns);
  const svcWeb = svcChain(names, web);
  const svcDns = svcChain(names, dns);
  const sepWeb0 = sepChain(names, web, { ip: "10.244.0.2", port: 8080 });
  const sepWeb1 = sepChain(names, web, { ip: "10.244.1.3", port: 8080 });
  const sepDns = sepChain(names, dns, { ip: "127.0.0.1", port: 53 });
  for (const c of [svcWeb, sepWeb0, sepWeb1, sepDns, names.servicesChain, names.nodePortsChain, names.markMasqChain, names.filterChain]) {
    assert.ok(c.length <= 28, `${c} fits iptables' 28 bytes`);
    assert.ok(c.includes(h), `${c} carries the cluster's hash`);
  }
  const stale = `${names.svcPrefix}STALESTALE`;
  const rs = buildRuleset({ names, clusterCidr: "10.244.0.0/16", ports, existingNatChains: [svcWeb, stale, `MK-SVC-0000000000-AAAAAAAAAA`] });
  const c = (what: string) => `-m comment --comment "mk-proxy-${h}${what ? ` ${what}` : ""}"`;
  assert.equal(
    rs.text,
    [
      "*nat",
      `:MK-SERVICES-${h} - [0:0]`,
      `:MK-NODEPORTS-${h} - [0:0]`,
      `:MK-MARK-MASQ-${h} - [0:0]`,
      `:${svcDns} - [0:0]`,
      `:${sepDns} - [0:0]`,
      `:${svcWeb} - [0:0]`,
      `:${sepWeb0} - [0:0]`,
      `:${sepWeb1} - [0:0]`,
      `:${stale} - [0:0]`,
      `-A MK-MARK-MASQ-${h} ${c("")} -j MARK --or-mark 0x4000`,
      `-A MK-SERVICES-${h} -d 10.96.0.10/32 -p udp -m udp --dport 53 ${c("default/dns:dns/udp cluster IP")} -j ${svcDns}`,
      `-A ${svcDns} ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p udp -m udp --dport 53 ${c("default/dns:dns/udp cluster IP")} -j MK-MARK-MASQ-${h}`,
      `-A ${svcDns} ${c("default/dns:dns/udp -> 127.0.0.1:53")} -j ${sepDns}`,
      `-A ${sepDns} -s 127.0.0.1/32 ${c("default/dns:dns/udp")} -j MK-MARK-MASQ-${h}`,
      `-A ${sepDns} -p udp ${c("default/dns:dns/udp")} -m udp -j DNAT --to-destination 127.0.0.1:53`,
      `-A MK-SERVICES-${h} -d 10.96.0.20/32 -p tcp -m tcp --dport 80 ${c("default/web:http cluster IP")} -j ${svcWeb}`,
      `-A MK-NODEPORTS-${h} -p tcp -m tcp --dport 30080 ${c("default/web:http")} -j MK-MARK-MASQ-${h}`,
      `-A MK-NODEPORTS-${h} -p tcp -m tcp --dport 30080 ${c("default/web:http")} -j ${svcWeb}`,
      `-A ${svcWeb} ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p tcp -m tcp --dport 80 ${c("default/web:http cluster IP")} -j MK-MARK-MASQ-${h}`,
      `-A ${svcWeb} ${c("default/web:http -> 10.244.0.2:8080")} -m statistic --mode random --probability 0.5000000000 -j ${sepWeb0}`,
      `-A ${sepWeb0} -s 10.244.0.2/32 ${c("default/web:http")} -j MK-MARK-MASQ-${h}`,
      `-A ${sepWeb0} -p tcp ${c("default/web:http")} -m tcp -j DNAT --to-destination 10.244.0.2:8080`,
      `-A ${svcWeb} ${c("default/web:http -> 10.244.1.3:8080")} -j ${sepWeb1}`,
      `-A ${sepWeb1} -s 10.244.1.3/32 ${c("default/web:http")} -j MK-MARK-MASQ-${h}`,
      `-A ${sepWeb1} -p tcp ${c("default/web:http")} -m tcp -j DNAT --to-destination 10.244.1.3:8080`,
      `-A MK-SERVICES-${h} ${c("node ports")} -m addrtype --dst-type LOCAL -j MK-NODEPORTS-${h}`,
      `-X ${stale}`,
      "COMMIT",
      "*filter",
      `:MK-FW-${h} - [0:0]`,
      `-A MK-FW-${h} -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT ${c("block localnet from outside loopback")} -j DROP`,
      `-A MK-FW-${h} -d 10.96.0.30/32 -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW ${c("default/empty: has no endpoints")} -j REJECT --reject-with tcp-reset`,
      `-A MK-FW-${h} -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 30090 -m conntrack --ctstate NEW ${c("default/empty: has no endpoints")} -j REJECT --reject-with tcp-reset`,
      "COMMIT",
      "",
    ].join("\n"),
  );
  assert.deepEqual(rs.deleted, [stale], "only this cluster's stale chains go; another cluster's are not ours");
  assert.equal(rs.natRules, 17);
  assert.equal(rs.filterRules, 3);
  // The same state writes the same text: what a restarted agent compares against.
  assert.equal(buildRuleset({ names, clusterCidr: "10.244.0.0/16", ports: servicePorts([...services].reverse(), [...slices].reverse()), existingNatChains: [stale] }).text, rs.text);
});

test("proxy endpoints: ready ones only; serving terminating ones only when none is ready (kube-proxy's fallback)", () => {
  const services = [svc("a", "10.96.0.5", [{ name: "", port: 80 }])];
  const eps = (list: Parameters<typeof slice>[2]) => servicePorts(services, [slice("a", [{ name: "", port: 80 }], list)])[0]?.endpoints.map((e) => e.ip);
  assert.deepEqual(eps([{ ip: "10.0.0.1" }, { ip: "10.0.0.2", ready: false, serving: true, terminating: true }]), ["10.0.0.1"]);
  assert.deepEqual(eps([{ ip: "10.0.0.2", ready: false, serving: true, terminating: true }, { ip: "10.0.0.3", ready: false, serving: false, terminating: true }]), ["10.0.0.2"]);
  assert.deepEqual(eps([{ ip: "10.0.0.4", ready: false }]), []);
  // A slice port of another name or protocol is not this Service port's.
  assert.deepEqual(servicePorts(services, [slice("a", [{ name: "other", port: 80 }], [{ ip: "10.0.0.1" }])])[0]?.endpoints, []);
  assert.deepEqual(servicePorts(services, [slice("a", [{ name: "", port: 80, protocol: "UDP" }], [{ ip: "10.0.0.1" }])])[0]?.endpoints, []);
});

test("chainsIn: the chains with our prefixes in iptables-save output", () => {
  const save = `*nat\n:PREROUTING ACCEPT [0:0]\n:${names.svcPrefix}AAAAAAAAAA - [0:0]\n:${names.sepPrefix}BBBBBBBBBB - [0:0]\n:MK-SVC-0000000000-CCCCCCCCCC - [0:0]\n-A PREROUTING -j X\nCOMMIT\n`;
  assert.deepEqual(chainsIn(save, [names.svcPrefix, names.sepPrefix]), [`${names.svcPrefix}AAAAAAAAAA`, `${names.sepPrefix}BBBBBBBBBB`]);
});
