// The pod network's host state as text and data: the iptables-restore text of a cluster's rules
// (compared with the expected rules, kube-proxy's way), its jumps, and the host-gw routes a node wants.
import assert from "node:assert/strict";
import { test } from "node:test";
import { desiredRoutes, parseRoutes } from "@mk/kubelet/network/routes.js";
import { jumpArgs, podNetworkJumps, podNetworkRules } from "@mk/kubelet/network/rules.js";
import { podNetworkName, podNetworkNames } from "@mk/proto";

test("rules: mk's own chains accept cluster traffic and masquerade only what leaves the cluster CIDR", () => {
  const names = podNetworkNames("127.0.0.1:6443");
  const h = names.filterChain.slice("MK-PODS-".length);
  assert.match(h, /^[0-9a-f]{10}$/);
  assert.equal(names.natChain, `MK-MASQ-${h}`);
  assert.equal(
    podNetworkRules(names, "10.250.0.0/16"),
    `*filter
:MK-PODS-${h} - [0:0]
-A MK-PODS-${h} -m comment --comment mk-pod-network-${h} -j MK-FW-${h}
-A MK-PODS-${h} -s 10.250.0.0/16 -m comment --comment mk-pod-network-${h} -j ACCEPT
-A MK-PODS-${h} -d 10.250.0.0/16 -m comment --comment mk-pod-network-${h} -j ACCEPT
COMMIT
*nat
:MK-MASQ-${h} - [0:0]
-A MK-MASQ-${h} -m mark --mark 0x4000/0x4000 -m comment --comment mk-pod-network-${h} -j MASQUERADE
-A MK-MASQ-${h} -s 127.0.0.0/8 -o mkp+ -m comment --comment mk-pod-network-${h} -j MASQUERADE
-A MK-MASQ-${h} -s 10.250.0.0/16 -d 10.250.0.0/16 -m comment --comment mk-pod-network-${h} -j RETURN
-A MK-MASQ-${h} -s 10.250.0.0/16 -m comment --comment mk-pod-network-${h} -j MASQUERADE
COMMIT
`,
  );
  const jumps = podNetworkJumps(names, "DOCKER-USER");
  assert.deepEqual(
    jumps.map((j) => jumpArgs(j, "-I").join(" ")),
    [`-w -t filter -I DOCKER-USER -m comment --comment mk-pod-network-${h} -j MK-PODS-${h}`, `-w -t nat -I POSTROUTING -m comment --comment mk-pod-network-${h} -j MK-MASQ-${h}`],
  );
  // Another cluster: other chains, so two clusters on one host never rewrite each other's rules.
  assert.notEqual(podNetworkNames("127.0.0.1:7443").filterChain, names.filterChain);
  assert.ok(names.filterChain.length <= 28 && names.natChain.length <= 28);
  const net = podNetworkName("127.0.0.1:6443", "node-1");
  assert.ok(net.bridge.length <= 15, `bridge ${net.bridge} fits IFNAMSIZ`);
  assert.notEqual(podNetworkName("127.0.0.1:6443", "node-2").network, net.network);
});

test("routes: one per other node with a podCIDR, via its InternalIP; none to a range on a local bridge", () => {
  const peers = [
    { name: "n3", podCidr: "10.250.2.0/24", internalIp: "10.213.0.13" },
    { name: "n1", podCidr: "10.250.0.0/24", internalIp: "10.213.0.11" },
    { name: "n2", podCidr: "10.250.1.0/24", internalIp: "10.213.0.12" },
    { name: "n4", podCidr: "", internalIp: "10.213.0.14" },
    { name: "n5", podCidr: "10.250.4.0/24", internalIp: "" },
  ];
  assert.deepEqual(desiredRoutes("n1", peers, ["127.0.0.1", "10.213.0.11", "10.250.0.1"]), [
    { cidr: "10.250.1.0/24", via: "10.213.0.12" },
    { cidr: "10.250.2.0/24", via: "10.213.0.13" },
  ]);
  // The local cluster: every node's bridge is in this namespace, so no route at all.
  assert.deepEqual(desiredRoutes("n1", peers, ["127.0.0.1", "10.250.0.1", "10.250.1.1", "10.250.2.1"]), []);
  assert.deepEqual(parseRoutes("10.250.1.0/24 via 10.213.0.12 dev eth0 proto 109 \n10.250.2.0/24 via 10.213.0.13 dev eth0 proto 109\n"), [
    { cidr: "10.250.1.0/24", via: "10.213.0.12" },
    { cidr: "10.250.2.0/24", via: "10.213.0.13" },
  ]);
});
