// The kubelet's pod resolv.conf (Kubernetes' dns.go rules per dnsPolicy, dnsConfig merging and
// limits) and Service environment variables (Kubernetes' envvars_test.go cases), as pure functions.
import assert from "node:assert/strict";
import { test } from "node:test";
import { serviceEnv, withServiceEnv } from "@mk/kubelet/config/service-env.js";
import { podDnsConfig } from "@mk/kubelet/dns/resolv-conf.js";
import { emptyMeta, formatResolvConf, hostResolvConfPath, kubeDnsClusterIp, parseResolvConf, Pod, Service } from "@mk/proto";

const host = parseResolvConf("# host\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example lab.example\noptions rotate timeout:2\n");
const node = { clusterDns: ["10.96.0.10"], clusterDomain: "cluster.local", host };

function pod(spec: object, namespace = "shop"): Pod {
  return Pod.fromPartial({ metadata: emptyMeta({ name: "p", namespace, uid: "u1" }), spec: { containers: [{ name: "a", image: "x:1" }], ...spec } });
}

test("ClusterFirst (the default): the cluster's nameserver, the namespace's search list then the host's, ndots:5", () => {
  const r = podDnsConfig(pod({}), node);
  assert.deepEqual(r.warnings, []);
  assert.equal(
    formatResolvConf(r.config),
    "nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\noptions ndots:5\n",
  );
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: "ClusterFirst" }), node).config, r.config);
});

test("ClusterFirst without --cluster-dns falls back to Default with a MissingClusterDNS warning", () => {
  const r = podDnsConfig(pod({}), { ...node, clusterDns: [] });
  assert.deepEqual(r.config, host);
  assert.equal(r.warnings[0]?.[0], "MissingClusterDNS");
  assert.match(r.warnings[0]?.[1] ?? "", /kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy\. Falling back to "Default" policy\./);
});

test("Default is the node's resolv.conf; hostNetwork turns ClusterFirst into Default, ClusterFirstWithHostNet keeps the cluster's", () => {
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: "Default" }), node).config, host);
  assert.deepEqual(podDnsConfig(pod({ hostNetwork: true }), node).config, host);
  assert.deepEqual(podDnsConfig(pod({ hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" }), node).config.nameservers, ["10.96.0.10"]);
});

test("None is dnsConfig alone; dnsConfig is appended to the others, its options replacing the same names", () => {
  const dnsConfig = { nameservers: ["192.0.2.1"], searches: ["my.example"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] };
  assert.equal(formatResolvConf(podDnsConfig(pod({ dnsPolicy: "None", dnsConfig }), node).config), "nameserver 192.0.2.1\nsearch my.example\noptions ndots:2 edns0\n");
  const merged = podDnsConfig(pod({ dnsConfig: { ...dnsConfig, nameservers: ["10.96.0.10", "192.0.2.1"], searches: ["svc.cluster.local", "my.example"] } }), node).config;
  assert.deepEqual(merged.nameservers, ["10.96.0.10", "192.0.2.1"]);
  assert.deepEqual(merged.searches, ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example", "my.example"]);
  assert.deepEqual(merged.options, ["ndots:2", "edns0"]);
});

test("more than 3 nameservers or 32 search domains are cut, with a DNSConfigForming warning", () => {
  const r = podDnsConfig(pod({ dnsConfig: { nameservers: ["192.0.2.1", "192.0.2.2", "192.0.2.3"], searches: Array.from({ length: 40 }, (_, i) => `d${i}.example`), options: [] } }), node);
  assert.deepEqual(r.config.nameservers, ["10.96.0.10", "192.0.2.1", "192.0.2.2"]);
  assert.equal(r.config.searches.length, 32);
  assert.deepEqual(
    r.warnings.map((w) => w[0]),
    ["DNSConfigForming", "DNSConfigForming"],
  );
});

test("the host's real resolvers: systemd-resolved's list when /etc/resolv.conf names its stub", () => {
  assert.equal(hostResolvConfPath("nameserver 127.0.0.53\noptions edns0 trust-ad\n"), "/run/systemd/resolve/resolv.conf");
  assert.equal(hostResolvConfPath("nameserver 10.0.0.2\n"), "/etc/resolv.conf");
  assert.equal(kubeDnsClusterIp("10.96.0.0/12"), "10.96.0.10");
  assert.equal(kubeDnsClusterIp("10.104.0.0/16"), "10.104.0.10");
});

function svc(name: string, clusterIp: string, ports: { name?: string; port: number; protocol?: string }[], namespace = "shop"): Service {
  return Service.fromPartial({ metadata: emptyMeta({ name, namespace }), spec: { clusterIp, ports: ports.map((p) => ({ name: p.name ?? "", port: p.port, protocol: p.protocol ?? "TCP" })) } });
}

test("Service variables as Kubernetes' envvars makes them", () => {
  const services = [
    svc("foo-bar", "1.2.3.4", [{ port: 8080 }]),
    svc("abc-123", "5.6.7.8", [
      { name: "u-d-p", port: 8081, protocol: "UDP" },
      { name: "t-c-p", port: 8081, protocol: "TCP" },
    ]),
    svc("q-u-u-x", "9.8.7.6", [{ port: 8082 }, { name: "8083", port: 8083 }]),
    svc("svrc-clusterip-none", "None", [{ port: 8082 }]),
    svc("svrc-clusterip-empty", "", [{ port: 8082 }]),
  ];
  const expected: [string, string][] = [
    ["FOO_BAR_SERVICE_HOST", "1.2.3.4"],
    ["FOO_BAR_SERVICE_PORT", "8080"],
    ["FOO_BAR_PORT", "tcp://1.2.3.4:8080"],
    ["FOO_BAR_PORT_8080_TCP", "tcp://1.2.3.4:8080"],
    ["FOO_BAR_PORT_8080_TCP_PROTO", "tcp"],
    ["FOO_BAR_PORT_8080_TCP_PORT", "8080"],
    ["FOO_BAR_PORT_8080_TCP_ADDR", "1.2.3.4"],
    ["ABC_123_SERVICE_HOST", "5.6.7.8"],
    ["ABC_123_SERVICE_PORT", "8081"],
    ["ABC_123_SERVICE_PORT_U_D_P", "8081"],
    ["ABC_123_SERVICE_PORT_T_C_P", "8081"],
    ["ABC_123_PORT", "udp://5.6.7.8:8081"],
    ["ABC_123_PORT_8081_UDP", "udp://5.6.7.8:8081"],
    ["ABC_123_PORT_8081_UDP_PROTO", "udp"],
    ["ABC_123_PORT_8081_UDP_PORT", "8081"],
    ["ABC_123_PORT_8081_UDP_ADDR", "5.6.7.8"],
    ["ABC_123_PORT_8081_TCP", "tcp://5.6.7.8:8081"],
    ["ABC_123_PORT_8081_TCP_PROTO", "tcp"],
    ["ABC_123_PORT_8081_TCP_PORT", "8081"],
    ["ABC_123_PORT_8081_TCP_ADDR", "5.6.7.8"],
    ["Q_U_U_X_SERVICE_HOST", "9.8.7.6"],
    ["Q_U_U_X_SERVICE_PORT", "8082"],
    ["Q_U_U_X_SERVICE_PORT_8083", "8083"],
    ["Q_U_U_X_PORT", "tcp://9.8.7.6:8082"],
    ["Q_U_U_X_PORT_8082_TCP", "tcp://9.8.7.6:8082"],
    ["Q_U_U_X_PORT_8082_TCP_PROTO", "tcp"],
    ["Q_U_U_X_PORT_8082_TCP_PORT", "8082"],
    ["Q_U_U_X_PORT_8082_TCP_ADDR", "9.8.7.6"],
    ["Q_U_U_X_PORT_8083_TCP", "tcp://9.8.7.6:8083"],
    ["Q_U_U_X_PORT_8083_TCP_PROTO", "tcp"],
    ["Q_U_U_X_PORT_8083_TCP_PORT", "8083"],
    ["Q_U_U_X_PORT_8083_TCP_ADDR", "9.8.7.6"],
  ];
  const byName = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  assert.deepEqual(serviceEnv(services, "shop", true), [...expected].sort(byName));
});

test("enableServiceLinks false keeps only kubernetes; other namespaces' Services are not seen; the container's own variables win", () => {
  const kubernetes = svc("kubernetes", "10.96.0.1", [{ name: "https", port: 443 }], "default");
  const services = [kubernetes, svc("web", "10.96.0.20", [{ port: 80 }]), svc("other", "10.96.0.30", [{ port: 80 }], "elsewhere")];
  const off = serviceEnv(services, "shop", false).map(([k]) => k);
  assert.ok(off.includes("KUBERNETES_SERVICE_HOST") && off.includes("KUBERNETES_SERVICE_PORT_HTTPS"));
  assert.ok(!off.some((k) => k.startsWith("WEB_")));
  const on = serviceEnv(services, "shop", true).map(([k]) => k);
  assert.ok(on.includes("WEB_SERVICE_HOST") && !on.some((k) => k.startsWith("OTHER_")));
  const env = withServiceEnv(["WEB_SERVICE_HOST=mine"], serviceEnv(services, "shop", true));
  assert.equal(env.filter((e) => e.startsWith("WEB_SERVICE_HOST=")).join(), "WEB_SERVICE_HOST=mine");
});
