// The lab's names and addresses (no root, no processes): interface names fit Linux's 15 bytes, two
// cluster directories never share a bridge or veth; pod addresses are the cluster's (--cluster-cidr
// on the controller manager and every kubelet), not the lab's: no dockerd gets a --bip.
import assert from "node:assert/strict";
import { test } from "node:test";
import { clusterComponents } from "@mk/kubectl/cluster/components.js";
import { LAB_CONTROLLER_ARGS, MAX_LAB_NODES, MAX_LABS, labLayout, labNode } from "@mk/kubectl/cluster/lab/layout.js";
import { clusterPaths } from "@mk/kubectl/cluster/paths.js";
import { type ComponentSpec, DEFAULT_SETTINGS } from "@mk/kubectl/cluster/settings.js";

const lab = (root: string, labNet: number, nodes = 3) =>
  labLayout({ ...DEFAULT_SETTINGS, isolated: true, labNet, nodes, nodePrefix: "lab", host: `10.213.${labNet}.1` }, clusterPaths(root));

test("lab layout: the first lab's addresses", () => {
  const l = lab("/tmp/a/cluster", 0);
  assert.equal(l.hostIp, "10.213.0.1");
  assert.deepEqual(
    l.nodes.map((n) => [n.name, n.netns, n.ip]),
    [
      ["lab-1", "mk-lab-1", "10.213.0.11"],
      ["lab-2", "mk-lab-2", "10.213.0.12"],
      ["lab-3", "mk-lab-3", "10.213.0.13"],
    ],
  );
  assert.equal(labNode(l, "lab-2").hostVeth, `${l.bridge}-2`);
  assert.throws(() => labNode(l, "lab-9"), /not in this lab \(its nodes: lab-1, lab-2, lab-3\)/);
});

test("lab layout: interface names fit 15 bytes; labs and nodes never share names", () => {
  const a = lab("/tmp/a/cluster", MAX_LABS - 1, MAX_LAB_NODES);
  const b = lab("/tmp/b/cluster", 0, MAX_LAB_NODES);
  assert.notEqual(a.bridge, b.bridge);
  const names = [a, b].flatMap((l) => [l.bridge, ...l.nodes.flatMap((n) => [n.hostVeth, n.peerVeth])]);
  for (const n of names) assert.ok(n.length <= 15, `${n} is ${n.length} bytes`);
  assert.equal(new Set(names).size, names.length);
  // Sockets live under /run: a unix socket path has at most 107 bytes.
  for (const n of a.nodes) assert.ok(n.dockerSocket.length < 100, n.dockerSocket);
});

test("lab components: etcd on loopback, the rest on the bridge, each node's dockerd and kubelet inside its namespace", () => {
  const paths = clusterPaths("/tmp/a/cluster");
  const specs = clusterComponents({ ...DEFAULT_SETTINGS, isolated: true, labNet: 2, nodes: 2, nodePrefix: "lab", host: "10.213.2.1", clusterCidr: "10.123.0.0/16" }, paths);
  // Every component a lab runs is in the list (the workspace build provides each entry point).
  assert.deepEqual(
    specs.map((s) => s.name),
    ["etcd", "apiserver", "scheduler", "controller-manager", "registry", "lab-1/dockerd", "lab-1", "lab-2/dockerd", "lab-2"],
  );
  const spec = (name: string): ComponentSpec => {
    const found = specs.find((s) => s.name === name);
    assert.ok(found, `component ${name} in ${specs.map((s) => s.name).join(", ")}`);
    return found;
  };
  // TLS by default: etcd serves its clients over https, still on loopback.
  assert.match(spec("etcd").address, /^https:\/\/127\.0\.0\.1:/);
  assert.match(spec("apiserver").address, /^10\.213\.2\.1:/);
  // The lab's nodes go silent on purpose: the controller notices in seconds, not minutes.
  const cm = spec("controller-manager").args.join(" ");
  assert.ok(cm.includes(LAB_CONTROLLER_ARGS.join(" ")) && cm.includes("--cluster-cidr 10.123.0.0/16"), cm);
  const dockerd = spec("lab-2/dockerd");
  assert.equal(dockerd.command, "nsenter");
  assert.equal(dockerd.netns, "mk-lab-2");
  assert.deepEqual(dockerd.args.slice(0, 2), ["--net=/var/run/netns/mk-lab-2", "dockerd"]);
  assert.ok(!dockerd.args.includes("--bip") && dockerd.args.includes("--bridge=none"), `no default bridge, no --bip: ${dockerd.args.join(" ")}`);
  const kubelet = spec("lab-2");
  assert.equal(kubelet.command, "nsenter");
  assert.equal(kubelet.netns, "mk-lab-2");
  assert.equal(kubelet.args[0], "--net=/var/run/netns/mk-lab-2");
  const args = kubelet.args.join(" ");
  for (const want of ["--node-ip 10.213.2.12", "--lease-renew 2", "--server 10.213.2.1:", "--docker-socket /run/mk-lab/", "--cluster-cidr 10.123.0.0/16", "--tls-cert /tmp/a/cluster/pki/kubelets/lab-2/kubelet.crt"]) {
    assert.ok(args.includes(want), `${want} in ${args}`);
  }
  assert.equal(typeof kubelet.prepare, "function", "the kubelet joins (token + CA hash) before it starts");
});

test("lab with --ha: each etcd member in its own namespace at its own bridge address, peers and clients there, run through nsenter", () => {
  const paths = clusterPaths("/tmp/a/cluster");
  const settings = { ...DEFAULT_SETTINGS, isolated: true, ha: true, labNet: 2, nodes: 1, nodePrefix: "lab", host: "10.213.2.1" };
  const l = labLayout(settings, paths);
  assert.deepEqual(
    l.etcdMembers.map((m) => [m.component, m.ip]),
    [
      ["etcd-1", "10.213.2.2"],
      ["etcd-2", "10.213.2.3"],
      ["etcd-3", "10.213.2.4"],
    ],
  );
  const names = [l.bridge, ...l.nodes.flatMap((n) => [n.hostVeth, n.peerVeth]), ...l.etcdMembers.flatMap((m) => [m.hostVeth, m.peerVeth])];
  for (const n of names) assert.ok(n.length <= 15, `${n} is ${n.length} bytes`);
  assert.equal(new Set([...names, ...l.nodes.map((n) => n.netns), ...l.etcdMembers.map((m) => m.netns)]).size, names.length + 4);
  assert.deepEqual(labLayout({ ...settings, ha: false }, paths).etcdMembers, [], "no member namespaces without --ha");

  const specs = clusterComponents(settings, paths);
  const etcd2 = specs.find((s) => s.name === "etcd-2");
  assert.ok(etcd2);
  assert.equal(etcd2.command, "nsenter");
  assert.equal(etcd2.netns, l.etcdMembers[1]?.netns);
  assert.deepEqual(etcd2.args.slice(0, 2), [`--net=${l.etcdMembers[1]?.netnsPath}`, "etcd"]);
  const args = etcd2.args.join(" ");
  for (const want of ["--listen-client-urls https://10.213.2.3:", "--listen-peer-urls https://10.213.2.3:", "--initial-cluster mk-1=https://10.213.2.2:"]) {
    assert.ok(args.includes(want), `${want} in ${args}`);
  }
  assert.match(etcd2.healthUrl, /^http:\/\/10\.213\.2\.3:\d+\/health$/);
  const api = specs.find((s) => s.name === "apiserver-1")?.args.join(" ") ?? "";
  assert.match(api, /--etcd-servers https:\/\/10\.213\.2\.2:\d+,https:\/\/10\.213\.2\.3:\d+,https:\/\/10\.213\.2\.4:\d+/);
});
