// The cluster tooling's seam: the topology (which members run, where, with which flags of their own)
// is data, and one assembler turns any such data into the supervisor's specs. A cluster of another
// shape (several etcd members, two API servers, a flag for every controller manager) is data only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "@mk/kubectl/cluster/components.js";
import { LAB_CONTROLLER_ARGS } from "@mk/kubectl/cluster/lab/layout.js";
import { clusterPaths } from "@mk/kubectl/cluster/paths.js";
import { pkiPaths } from "@mk/kubectl/cluster/pki.js";
import { DEFAULT_SETTINGS, portsFrom } from "@mk/kubectl/cluster/settings.js";
import { clusterTopology, type EtcdMember, type Topology } from "@mk/kubectl/cluster/topology.js";

const paths = clusterPaths("/tmp/mk-topology-test/cluster");

/** The value after flag in args. */
const flag = (args: readonly string[], name: string) => args[args.indexOf(name) + 1];

test("local topology: one member per control-plane role on the host, node i on 127.0.0.(i+1)", () => {
  const t = clusterTopology({ ...DEFAULT_SETTINGS, nodes: 3, nodePrefix: "w" }, paths);
  assert.equal(t.flavour, "local");
  assert.deepEqual(
    t.etcd.map((m) => [m.component, m.host, m.clientPort, m.peerPort]),
    [["etcd", "127.0.0.1", 12379, 12380]],
  );
  assert.deepEqual(
    [t.apiServers, t.schedulers, t.controllerManagers].map((ms) => ms.map((m) => m.component)),
    [["apiserver"], ["scheduler"], ["controller-manager"]],
  );
  assert.equal(t.server, "127.0.0.1:6443");
  assert.deepEqual(
    t.nodes.map((n) => [n.name, n.ip, n.lab === undefined]),
    [
      ["w-1", "127.0.0.2", true],
      ["w-2", "127.0.0.3", true],
      ["w-3", "127.0.0.4", true],
    ],
  );
  assert.deepEqual(t.controllerManagers[0]?.args, ["--cluster-cidr", "10.244.0.0/16"]);
});

test("lab topology: etcd stays on loopback, the rest on the bridge; the lab's flags are data", () => {
  const t = clusterTopology({ ...DEFAULT_SETTINGS, isolated: true, labNet: 1, nodes: 2, host: "10.213.1.1" }, paths);
  assert.equal(t.flavour, "lab");
  assert.equal(t.etcd[0]?.host, "127.0.0.1");
  assert.equal(t.server, "10.213.1.1:6443");
  // Lab leases: a killed leader is replaced within 5 s (4 s lease, leader.ts).
  assert.deepEqual(t.controllerManagers[0]?.args, ["--cluster-cidr", "10.244.0.0/16", ...LAB_CONTROLLER_ARGS, "--lease-duration", "4"]);
  assert.deepEqual(t.schedulers[0]?.args, ["--lease-duration", "4"]);
  assert.deepEqual(
    t.nodes.map((n) => [n.name, n.ip, n.lab?.node.netns, flag(n.kubeletArgs, "--lease-renew")]),
    [
      ["node-1", "10.213.1.11", "mk-node-1", "2"],
      ["node-2", "10.213.1.12", "mk-node-2", "2"],
    ],
  );
});

test("the assembler reads the data: three etcd members, two API servers and a member's own flags need no change to it", () => {
  const base = clusterTopology({ ...DEFAULT_SETTINGS, nodes: 1 }, paths);
  const etcd = (i: number): EtcdMember => ({
    component: `etcd-${i}`,
    name: `m${i}`,
    host: "127.0.0.1",
    clientPort: 22379 + 10 * i,
    peerPort: 22380 + 10 * i,
    metricsAddress: `127.0.0.1:${22381 + 10 * i}`,
    dataDir: `etcd-${i}`,
  });
  const t: Topology = {
    ...base,
    etcd: [etcd(1), etcd(2), etcd(3)],
    apiServers: [
      { component: "apiserver-1", host: "127.0.0.1", port: 7443, httpPort: 7444, args: [] },
      { component: "apiserver-2", host: "127.0.0.1", port: 7453, httpPort: 7454, args: ["--service-cluster-ip-range", "10.96.0.0/12"] },
    ],
    controllerManagers: [{ component: "controller-manager", listen: "127.0.0.1:7446", args: ["--cluster-cidr", "10.244.0.0/16"] }],
  };
  const specs = assemble(t, paths, pkiPaths(paths.pki));
  const byName = new Map(specs.map((s) => [s.name, s]));
  const names = specs.map((s) => s.name);
  // Start order: every etcd member, then the API servers, then their clients, the nodes last.
  assert.deepEqual(names.slice(0, 6), ["etcd-1", "etcd-2", "etcd-3", "apiserver-1", "apiserver-2", "scheduler"]);
  assert.equal(names.at(-1), "node-1");

  // Several members with certificates: peers speak TLS too.
  const cluster = "m1=https://127.0.0.1:22390,m2=https://127.0.0.1:22400,m3=https://127.0.0.1:22410";
  for (const i of [1, 2, 3]) {
    const args = byName.get(`etcd-${i}`)?.args ?? [];
    assert.equal(flag(args, "--name"), `m${i}`);
    assert.equal(flag(args, "--initial-cluster"), cluster, `etcd-${i} knows every member`);
    assert.equal(flag(args, "--listen-client-urls"), `https://127.0.0.1:${22379 + 10 * i}`);
    assert.equal(byName.get(`etcd-${i}`)?.healthUrl, `http://127.0.0.1:${22381 + 10 * i}/health`);
  }
  const servers = "https://127.0.0.1:22389,https://127.0.0.1:22399,https://127.0.0.1:22409";
  for (const name of ["apiserver-1", "apiserver-2"]) assert.equal(flag(byName.get(name)?.args ?? [], "--etcd-servers"), servers, name);
  assert.equal(flag(byName.get("apiserver-2")?.args ?? [], "--service-cluster-ip-range"), "10.96.0.0/12");
  assert.ok(!byName.get("apiserver-1")?.args.includes("--service-cluster-ip-range"), "a member's own flags are its own");
  assert.equal(flag(byName.get("controller-manager")?.args ?? [], "--cluster-cidr"), "10.244.0.0/16");
  // Every client of the API dials the topology's server, with its own certificate.
  for (const name of ["scheduler", "controller-manager", "node-1"]) {
    const args = byName.get(name)?.args ?? [];
    assert.equal(flag(args, "--server"), base.server, name);
    assert.ok(args.includes("--tls-cert"), `${name} has a client certificate`);
  }

  // Without TLS: plain-HTTP client URLs and no certificates.
  const plain = assemble(t, paths, undefined);
  assert.equal(flag(plain.find((s) => s.name === "apiserver-1")?.args ?? [], "--etcd-servers"), servers.replaceAll("https:", "http:"));
  assert.ok(plain.every((s) => !s.args.includes("--tls-cert")));
});

test("cluster DNS: the API server serves the cluster's DNS port; kubelets point pods at the kube-dns ClusterIP of the range", () => {
  const t = clusterTopology({ ...DEFAULT_SETTINGS, nodes: 2, dnsPort: 40053, serviceClusterIpRange: "10.101.0.0/16", dnsUpstream: "127.0.0.1:5353" }, paths);
  const api = t.apiServers[0]?.args ?? [];
  assert.equal(flag(api, "--dns-port"), "40053");
  assert.equal(flag(api, "--cluster-domain"), "cluster.local");
  assert.equal(flag(api, "--dns-upstream"), "127.0.0.1:5353");
  for (const n of t.nodes) {
    assert.equal(flag(n.kubeletArgs, "--cluster-dns"), "10.101.0.10");
    assert.equal(flag(n.kubeletArgs, "--cluster-domain"), "cluster.local");
  }
  const lab = clusterTopology({ ...DEFAULT_SETTINGS, isolated: true, labNet: 1, nodes: 1, host: "10.213.1.1", dnsPort: 40053 }, paths);
  assert.equal(flag(lab.nodes[0]?.kubeletArgs ?? [], "--cluster-dns"), "10.96.0.10");
  // Settings saved before cluster DNS: no DNS flags at all.
  const old = clusterTopology({ ...DEFAULT_SETTINGS, nodes: 1 }, paths);
  assert.ok(!(old.apiServers[0]?.args ?? []).includes("--dns-port"));
  assert.ok(!(old.nodes[0]?.kubeletArgs ?? []).includes("--cluster-dns"));
});

test("--ha: three etcd members with peer TLS, two API servers behind a balancer at the cluster's address, two of each API client", () => {
  const s = { ...DEFAULT_SETTINGS, nodes: 1, ha: true, ...portsFrom(30000), etcdPort: 31000 };
  const t = clusterTopology(s, paths);
  assert.deepEqual(
    t.etcd.map((m) => [m.component, m.name, m.clientPort, m.peerPort, m.metricsAddress]),
    [
      ["etcd-1", "mk-1", 31000, 31001, "127.0.0.1:31002"],
      ["etcd-2", "mk-2", 31003, 31004, "127.0.0.1:31005"],
      ["etcd-3", "mk-3", 31006, 31007, "127.0.0.1:31008"],
    ],
  );
  assert.deepEqual(
    t.apiServers.map((m) => [m.component, m.port, m.httpPort]),
    [
      ["apiserver-1", 30007, 30008],
      ["apiserver-2", 30009, 30010],
    ],
  );
  for (const m of t.apiServers) assert.equal(flag(m.args, "--etcd-request-timeout"), "4s", "a call stuck behind a dead etcd leader returns for a retry");
  assert.equal(t.server, "127.0.0.1:30000");
  assert.deepEqual(t.balancer, { component: "apiserver-lb", listen: "127.0.0.1:30000", healthListen: "127.0.0.1:30001" });
  assert.deepEqual(
    [...t.schedulers, ...t.controllerManagers].map((m) => [m.component, m.listen, flag(m.args, "--lease-duration")]),
    [
      ["scheduler-1", "127.0.0.1:30002", "4"],
      ["scheduler-2", "127.0.0.1:30011", "4"],
      ["controller-manager-1", "127.0.0.1:30003", "4"],
      ["controller-manager-2", "127.0.0.1:30012", "4"],
    ],
  );
  // Without --ha and outside the lab, Kubernetes' leases (no flag: 15/10/2 s).
  const single = clusterTopology({ ...s, ha: false }, paths);
  assert.ok(![...single.schedulers, ...single.controllerManagers].some((m) => m.args.includes("--lease-duration")));
  assert.equal(single.balancer, undefined);

  const specs = assemble(t, paths, pkiPaths(paths.pki));
  const byName = new Map(specs.map((c) => [c.name, c]));
  const names = specs.map((c) => c.name);
  assert.deepEqual(names.slice(0, 6), ["etcd-1", "etcd-2", "etcd-3", "apiserver-1", "apiserver-2", "apiserver-lb"]);
  for (const i of [1, 2, 3]) {
    const args = byName.get(`etcd-${i}`)?.args ?? [];
    assert.equal(flag(args, "--initial-cluster"), "mk-1=https://127.0.0.1:31001,mk-2=https://127.0.0.1:31004,mk-3=https://127.0.0.1:31007");
    assert.equal(flag(args, "--listen-peer-urls"), `https://127.0.0.1:${31001 + 3 * (i - 1)}`);
    assert.ok(args.includes("--peer-client-cert-auth"), "peers present certificates signed by the CA");
    assert.equal(flag(args, "--peer-trusted-ca-file"), pkiPaths(paths.pki).ca.cert);
  }
  const lb = byName.get("apiserver-lb")?.args ?? [];
  assert.equal(flag(lb, "--listen"), "127.0.0.1:30000");
  assert.deepEqual(
    lb.filter((_, i) => lb[i - 1] === "--backend"),
    ["127.0.0.1:30007=http://127.0.0.1:30008/readyz", "127.0.0.1:30009=http://127.0.0.1:30010/readyz"],
  );
  assert.equal(byName.get("apiserver-lb")?.healthUrl, "http://127.0.0.1:30001/healthz");
  // Every client of the API dials the balancer, never one API server.
  for (const name of ["scheduler-1", "scheduler-2", "controller-manager-1", "controller-manager-2", "node-1"]) {
    assert.equal(flag(byName.get(name)?.args ?? [], "--server"), "127.0.0.1:30000", name);
  }
  // A single member keeps its plain peer URL (its data directory records it).
  const one = assemble(single, paths, pkiPaths(paths.pki)).find((c) => c.name === "etcd");
  assert.equal(flag(one?.args ?? [], "--listen-peer-urls"), "http://127.0.0.1:31001");
  assert.ok(!one?.args.includes("--peer-client-cert-auth"));
});
