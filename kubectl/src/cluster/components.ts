// The assembler: the processes of a cluster, in start order, each with how to run it and how to tell
// it is healthy, built from the topology (topology.ts) by one builder per role. A role whose binary
// is neither built nor on PATH is left out. Start order: etcd, the API servers (and the balancer in
// front of several), schedulers, controller managers, the registry (the nodes pull from it), then
// the nodes.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Binary, resolveComponent } from "./binaries.js";
import { backendsFile, memberComponents, memberRecords } from "./control-plane-member.js";
import { kubeletComponent } from "./kubelet-spec.js";
import { inLabNode, labDockerdComponent } from "./lab/components.js";
import type { ClusterPaths } from "./paths.js";
import { type Pki, pkiPaths } from "./pki.js";
import { registryComponent } from "./registry.js";
import { apiserverTlsArgs, clientTlsArgs, etcdPeerTlsArgs, etcdServerTlsArgs, withKubeletJoin } from "./secure.js";
import type { ClusterSettings, ComponentSpec } from "./settings.js";
import { type ApiClientMember, type ApiServerMember, type BalancerMember, clusterTopology, type EtcdMember, type Topology } from "./topology.js";

/** Where the cluster's secrets are, for a TLS cluster (the default); undefined for `up --insecure`. */
type Tls = Pki | undefined;

const etcdClientUrl = (m: EtcdMember, tls: Tls) => `${tls ? "https" : "http"}://${m.host}:${m.clientPort}`;
// Peers talk TLS when there are peers and the cluster has certificates (a single member keeps the
// plain peer URL it always had: its data directory records it).
const peerTls = (t: Topology, tls: Tls): tls is Pki => tls !== undefined && t.etcd.length > 1;
const etcdPeerUrl = (m: EtcdMember, secure: boolean) => `${secure ? "https" : "http"}://${m.host}:${m.peerPort}`;

function etcdComponent(m: EtcdMember, t: Topology, paths: ClusterPaths, tls: Tls): ComponentSpec {
  const client = etcdClientUrl(m, tls);
  const secure = peerTls(t, tls);
  const args = [
    ...["--name", m.name, "--data-dir", join(paths.data, m.dataDir)],
    ...["--listen-client-urls", client, "--advertise-client-urls", client],
    ...["--listen-peer-urls", etcdPeerUrl(m, secure), "--initial-advertise-peer-urls", etcdPeerUrl(m, secure)],
    ...["--initial-cluster", t.etcd.map((e) => `${e.name}=${etcdPeerUrl(e, secure)}`).join(",")],
    ...["--initial-cluster-token", `mk-${t.server}`],
    ...["--quota-backend-bytes", String(2 * 1024 * 1024 * 1024)],
  ];
  const logFile = join(paths.logs, `${m.component}.log`);
  // An HA lab's member runs inside its own namespace (nsenter execs etcd: the pid is etcd's).
  const inLab = (spec: ComponentSpec): ComponentSpec =>
    m.lab ? { ...spec, command: "nsenter", args: [`--net=${m.lab.netnsPath}`, spec.command, ...spec.args], netns: m.lab.netns } : spec;
  if (!tls) return inLab({ name: m.component, command: "etcd", args, address: client, healthUrl: `${client}/health`, logFile });
  // With client certificates required, /health moves to a plain-HTTP metrics listener.
  const metrics = `http://${m.metricsAddress}`;
  const peers = secure ? etcdPeerTlsArgs(tls) : [];
  return inLab({ name: m.component, command: "etcd", args: [...args, ...etcdServerTlsArgs(tls), ...peers, "--listen-metrics-urls", metrics], address: client, healthUrl: `${metrics}/health`, logFile });
}

/** The TCP balancer at the cluster's address (balancer.ts), run as `mkctl cluster balance`. */
function balancerComponent(b: BalancerMember, t: Topology, paths: ClusterPaths): ComponentSpec {
  const mkctl = fileURLToPath(new URL("../main.js", import.meta.url));
  const backends = t.apiServers.flatMap((m) => ["--backend", `${m.host}:${m.port}=http://${m.host}:${m.httpPort}/readyz`]);
  return {
    name: b.component,
    command: process.execPath,
    // Control-plane members joined later add their API servers to the backends file.
    args: [mkctl, "cluster", "balance", "--listen", b.listen, "--health-listen", b.healthListen, ...backends, "--backends-file", backendsFile(paths.root)],
    address: b.listen,
    healthUrl: `http://${b.healthListen}/healthz`,
    logFile: join(paths.logs, `${b.component}.log`),
  };
}

function apiserverComponent(bin: Binary, m: ApiServerMember, t: Topology, paths: ClusterPaths, tls: Tls): ComponentSpec {
  return {
    name: m.component,
    command: bin.command,
    args: [
      ...bin.args,
      ...["--etcd-servers", t.etcd.map((e) => etcdClientUrl(e, tls)).join(",")],
      ...["--listen", `${m.host}:${m.port}`, "--advertise-address", m.host, "--http-listen", `${m.host}:${m.httpPort}`],
      ...m.args,
      ...(tls ? apiserverTlsArgs(tls) : []),
    ],
    address: `${m.host}:${m.port}`,
    healthUrl: `http://${m.host}:${m.httpPort}/readyz`,
    logFile: join(paths.logs, `${m.component}.log`),
  };
}

/** A scheduler or controller manager: a client of the API (with its own certificate) and a /healthz. */
function apiClientComponent(bin: Binary, roleArgs: string[], m: ApiClientMember, t: Topology, paths: ClusterPaths, clientTls: string[]): ComponentSpec {
  return {
    name: m.component,
    command: bin.command,
    args: [...bin.args, "--server", t.server, ...roleArgs, "--http-listen", m.listen, ...m.args, ...clientTls],
    address: m.listen,
    healthUrl: `http://${m.listen}/healthz`,
    logFile: join(paths.logs, `${m.component}.log`),
  };
}

/** Specs of every member of a role, or none when its binary is missing. */
function role<M>(binary: string, members: M[], build: (bin: Binary, m: M) => ComponentSpec[] | ComponentSpec): ComponentSpec[] {
  const bin = resolveComponent(binary);
  return bin ? members.flatMap((m) => build(bin, m)) : [];
}

export function clusterComponents(s: ClusterSettings, paths: ClusterPaths): ComponentSpec[] {
  // A directory holding one joined control-plane member (`cluster join --control-plane`) runs just that.
  if (s.controlPlane) return memberComponents(s, s.controlPlane, paths);
  const specs = assemble(clusterTopology(s, paths), paths, s.tls ? pkiPaths(paths.pki) : undefined);
  // After a `cluster down`/`up`, the API servers talk to the etcd members joined since, too.
  const joined = memberRecords(paths.root).map((r) => r.etcd.clientUrl);
  if (joined.length === 0) return specs;
  return specs.map((c) => {
    const i = c.args.indexOf("--etcd-servers");
    return i < 0 ? c : { ...c, args: c.args.map((a, j) => (j === i + 1 ? [a, ...joined].join(",") : a)) };
  });
}

/** The specs of a topology's members, in start order; with tls, each with its certificates. */
export function assemble(t: Topology, paths: ClusterPaths, tls: Tls): ComponentSpec[] {
  const registry = registryComponent(t.registry, paths);
  return [
    ...t.etcd.map((m) => etcdComponent(m, t, paths, tls)),
    ...role("apiserver", t.apiServers, (bin, m) => apiserverComponent(bin, m, t, paths, tls)),
    ...(t.balancer ? [balancerComponent(t.balancer, t, paths)] : []),
    ...role("scheduler", t.schedulers, (bin, m) => apiClientComponent(bin, ["--leader-elect"], m, t, paths, tls ? clientTlsArgs(tls, tls.scheduler) : [])),
    ...role("controller", t.controllerManagers, (bin, m) => apiClientComponent(bin, [], m, t, paths, tls ? clientTlsArgs(tls, tls.controllerManager) : [])),
    ...(registry ? [registry] : []),
    ...role("kubelet", t.nodes, (bin, node) => {
      const kubelet = kubeletComponent(bin, node, t.server, paths);
      // A lab node's kubelet runs inside its namespace, after that node's own dockerd.
      const inNode = node.lab ? inLabNode(node.lab, kubelet, paths) : kubelet;
      const dockerd = node.lab ? [labDockerdComponent(node.lab.node, t.registry, paths)] : [];
      return [...dockerd, tls ? withKubeletJoin(inNode, node, t.server, paths) : inNode];
    }),
  ];
}
