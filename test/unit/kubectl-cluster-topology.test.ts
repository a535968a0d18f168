// The cluster tooling's seam: the topology (which members run, where, with which flags of their own)
// is data, and one assembler turns any such data into the supervisor's specs. A cluster of another
// shape (several etcd members, two API servers, a flag for every controller manager) is data only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "@mk/kubectl/cluster/components.js";
import { LAB_CONTROLLER_ARGS } from "@mk/kubectl/cluster/lab/layout.js";
import { clusterPaths } from "@mk/kubectl/cluster/paths.js";
import { pkiPaths } from "@mk/kubectl/cluster/pki.js";
import { DEFAULT_SETTINGS } from "@mk/kubectl/cluster/settings.js";
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
  assert.deepEqual(t.controllerManagers[0]?.args, ["--cluster-cidr", "10.244.0.0/16", ...LAB_CONTROLLER_ARGS]);
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

  const cluster = "m1=http://127.0.0.1:22390,m2=http://127.0.0.1:22400,m3=http://127.0.0.1:22410";
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
