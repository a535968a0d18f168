// The pieces of `cluster join --control-plane` that need no cluster: `up --balancer`'s topology, a
// joined member's two components (etcd joining an existing cluster, an API server talking to every
// member), etcd's --initial-cluster from MemberAdd's answer, and the balancer taking backends from
// its file. The whole join runs in test/e2e/control-plane-join.test.ts.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseBackends, TcpBalancer } from "@mk/kubectl/cluster/balancer.js";
import { assemble, clusterComponents } from "@mk/kubectl/cluster/components.js";
import { joinControlPlane } from "@mk/kubectl/cluster/control-plane-join.js";
import { initialCluster } from "@mk/kubectl/cluster/etcd-join.js";
import { backendsFile } from "@mk/kubectl/cluster/control-plane-member.js";
import { clusterPaths } from "@mk/kubectl/cluster/paths.js";
import { pkiPaths } from "@mk/kubectl/cluster/pki.js";
import { DEFAULT_SETTINGS, portsFrom } from "@mk/kubectl/cluster/settings.js";
import { clusterTopology } from "@mk/kubectl/cluster/topology.js";
import { freePort } from "../harness/etcd.js";
import { eventually } from "../harness/wait.js";

const flag = (args: readonly string[], name: string) => args[args.indexOf(name) + 1];

test("up --balancer: one member per role, the API server on --ha's apiserver-1 ports, the balancer at the cluster's address reading the members' file", () => {
  const paths = clusterPaths("/tmp/mk-cpjoin-unit/cluster");
  const s = { ...DEFAULT_SETTINGS, nodes: 1, balancer: true, ...portsFrom(30000), etcdPort: 31000 };
  const t = clusterTopology(s, paths);
  assert.deepEqual(t.etcd.map((m) => m.component), ["etcd"]);
  assert.deepEqual(t.apiServers.map((m) => [m.component, m.port, m.httpPort]), [["apiserver", 30007, 30008]]);
  assert.deepEqual(t.balancer, { component: "apiserver-lb", listen: "127.0.0.1:30000", healthListen: "127.0.0.1:30001" });
  assert.equal(t.server, "127.0.0.1:30000");
  const lb = assemble(t, paths, pkiPaths(paths.pki)).find((c) => c.name === "apiserver-lb")?.args ?? [];
  assert.equal(flag(lb, "--backend"), "127.0.0.1:30007=http://127.0.0.1:30008/readyz");
  assert.equal(flag(lb, "--backends-file"), backendsFile(paths.root));
  // Without --balancer the API server stays at the cluster's address, with no balancer.
  const plain = clusterTopology({ ...s, balancer: false }, paths);
  assert.deepEqual([plain.apiServers[0]?.port, plain.balancer], [30000, undefined]);
});

test("a joined member runs its etcd into the existing cluster and an API server on every member, once its member votes", () => {
  const paths = clusterPaths("/tmp/mk-cpjoin-unit/cp2");
  const cp = {
    name: "cp2",
    clusterDir: "/tmp/mk-cpjoin-unit/cluster",
    peerScheme: "http" as const,
    initialCluster: "mk=http://127.0.0.1:31001,cp2=http://127.0.0.1:32001",
    etcdServers: ["https://127.0.0.1:31000", "https://127.0.0.1:32000"],
  };
  const specs = clusterComponents({ ...DEFAULT_SETTINGS, ...portsFrom(33000), etcdPort: 32000, nodes: 0, controlPlane: cp }, paths);
  assert.deepEqual(specs.map((c) => c.name), ["etcd-cp2", "apiserver-cp2"]);
  const [etcd, api] = specs;
  assert.equal(flag(etcd?.args ?? [], "--initial-cluster-state"), "existing");
  assert.equal(flag(etcd?.args ?? [], "--initial-cluster"), cp.initialCluster);
  assert.equal(flag(etcd?.args ?? [], "--listen-peer-urls"), "http://127.0.0.1:32001", "the cluster's peer scheme");
  assert.ok(!etcd?.args.includes("--peer-client-cert-auth"));
  assert.equal(flag(etcd?.args ?? [], "--cert-file"), pkiPaths(paths.pki).etcdServer.cert, "its own serving certificate");
  assert.equal(etcd?.healthUrl, "http://127.0.0.1:32002/health");
  assert.equal(flag(api?.args ?? [], "--etcd-servers"), "https://127.0.0.1:31000,https://127.0.0.1:32000");
  assert.equal(flag(api?.args ?? [], "--listen"), "127.0.0.1:33000");
  assert.equal(flag(api?.args ?? [], "--bootstrap-token-file"), "/tmp/mk-cpjoin-unit/cluster/pki/bootstrap-tokens", "the cluster's tokens: a node may join through any API server");
  assert.equal(flag(api?.args ?? [], "--client-ca"), pkiPaths(paths.pki).ca.cert);
  assert.equal(api?.healthUrl, "http://127.0.0.1:33001/readyz");
  assert.ok(api?.prepare, "waits for its etcd member to be promoted");
  // With an --ha cluster's peers (TLS), the member's peers present certificates too.
  const tls = clusterComponents({ ...DEFAULT_SETTINGS, ...portsFrom(33000), etcdPort: 32000, nodes: 0, controlPlane: { ...cp, peerScheme: "https" } }, paths)[0];
  assert.equal(flag(tls?.args ?? [], "--listen-peer-urls"), "https://127.0.0.1:32001");
  assert.ok(tls?.args.includes("--peer-client-cert-auth"));
});

test("--initial-cluster names every member MemberAdd lists, the added one by its new name (as etcdctl member add prints)", () => {
  const added = { id: 7n, name: "", peerUrls: ["http://127.0.0.1:32001"], clientUrls: [], isLearner: true };
  const members = [{ id: 1n, name: "mk", peerUrls: ["http://127.0.0.1:31001"], clientUrls: ["https://127.0.0.1:31000"], isLearner: false }, added];
  assert.equal(initialCluster(members, added, "cp2"), "mk=http://127.0.0.1:31001,cp2=http://127.0.0.1:32001");
});

test("the balancer adds the backends its file lists, re-read before every round of checks; a malformed line is skipped", async () => {
  assert.deepEqual(parseBackends("127.0.0.1:1=http://x/readyz\n\nnonsense\nhost:notaport=http://y\n"), [{ address: "127.0.0.1:1", healthUrl: "http://x/readyz" }]);
  const dir = mkdtempSync(join(tmpdir(), "mk-lb-file-"));
  const ready = createHttpServer((_req, res) => res.writeHead(200).end());
  const readyPort = await freePort();
  await new Promise<void>((r) => ready.listen(readyPort, "127.0.0.1", () => r()));
  const file = join(dir, "apiservers");
  const lb = new TcpBalancer({ listen: `127.0.0.1:${await freePort()}`, healthListen: "", backends: [{ address: "127.0.0.1:1", healthUrl: `http://127.0.0.1:${readyPort}/readyz` }], backendsFile: file, checkMs: 50 });
  try {
    await lb.start();
    assert.deepEqual(lb.status().map((b) => b.address), ["127.0.0.1:1"], "no file yet: the given backends only");
    writeFileSync(file, `127.0.0.1:2=http://127.0.0.1:${readyPort}/readyz\n`);
    await eventually("the file's backend added and checked", () => lb.status().map((b) => `${b.address} ${b.healthy}`).join() === "127.0.0.1:1 true,127.0.0.1:2 true");
    writeFileSync(file, "");
    await eventually("a backend gone from the file is dropped", () => lb.status().length === 1);
  } finally {
    await lb.stop();
    ready.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a join is refused, writing nothing, when the cluster's address is its API server itself, runs without TLS, or is not running; bad flags are named", async () => {
  const home = mkdtempSync(join(tmpdir(), "mk-cpjoin-refuse-"));
  try {
    const clusterDir = join(home, "cluster");
    mkdirSync(clusterDir);
    const member = join(home, "cp2", "cluster");
    const o = { clusterDir, dir: member, name: "cp2", etcdPort: 40000, apiPort: 40010, timeoutMs: 1_000 };
    const quiet = () => {};
    await assert.rejects(() => joinControlPlane(o, quiet), /--cluster-dir .*: no cluster runs from there/);
    // A running cluster (its supervisor's pid is alive: this process's) without a balancer.
    writeFileSync(join(clusterDir, "state.json"), JSON.stringify({ supervisorPid: process.pid, startedAt: "", components: [] }));
    writeFileSync(join(clusterDir, "cluster.json"), JSON.stringify({ ...DEFAULT_SETTINGS }));
    await assert.rejects(() => joinControlPlane(o, quiet), /the cluster's address 127\.0\.0\.1:6443 is its API server itself.*mkctl cluster up --balancer/);
    writeFileSync(join(clusterDir, "cluster.json"), JSON.stringify({ ...DEFAULT_SETTINGS, balancer: true, tls: false }));
    await assert.rejects(() => joinControlPlane(o, quiet), /runs without TLS/);
    await assert.rejects(() => joinControlPlane({ ...o, name: "CP_2" }, quiet), /--name "CP_2": want lowercase letters/);
    await assert.rejects(() => joinControlPlane({ ...o, etcdPort: Number.NaN }, quiet), /--etcd-port NaN: want a port number/);
    assert.equal(existsSync(join(home, "cp2")), false, "nothing written for the member");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
