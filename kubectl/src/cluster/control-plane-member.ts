// A control-plane member joined by `mkctl cluster join --control-plane` (control-plane-join.ts): a
// directory of its own (settings, certificates, data, logs, state.json) whose supervisor runs two
// components, as kubeadm's control-plane node runs its own etcd and kube-apiserver:
//   etcd-NAME       client https://HOST:ETCD_PORT, peer ETCD_PORT + 1 (the cluster's peer scheme),
//                   plain-HTTP /health and /metrics on 127.0.0.1:ETCD_PORT + 2; started with
//                   --initial-cluster-state existing and the member list MemberAdd answered
//   apiserver-NAME  gRPC/HTTP HOST:API_PORT, /readyz on HOST:API_PORT + 1, talking to every etcd
//                   member; it starts once its etcd member is a voter (a learner serves no reads)
// The cluster it joined keeps a record of each member (MEMBERS_DIR/NAME.json) and the list its
// balancer reads (BACKENDS_FILE), so that `cluster status`, `down` and `up` there cover the members.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveComponent } from "./binaries.js";
import { type EtcdMemberInfo, EtcdMembership } from "./etcd-members.js";
import type { ClusterPaths } from "./paths.js";
import { type Pki, pkiPaths } from "./pki.js";
import { apiserverTlsArgs, etcdPeerTlsArgs, etcdServerTlsArgs } from "./secure.js";
import { type ClusterSettings, type ComponentSpec, DEFAULT_SERVICE_CLUSTER_IP_RANGE, type JoinedControlPlane } from "./settings.js";

/** In the joined cluster's directory: one record per joined member. */
export const membersDir = (clusterDir: string) => join(clusterDir, "control-plane");
/** In the joined cluster's directory: the joined API servers, for its balancer (`--backends-file`). */
export const backendsFile = (clusterDir: string) => join(membersDir(clusterDir), "apiservers");

/** What the joined cluster knows of a member. */
export interface MemberRecord {
  name: string;
  /** The member's own cluster directory (its state.json, its supervisor). */
  root: string;
  etcd: { component: string; clientUrl: string; metricsAddress: string };
  apiserver: { component: string; address: string; readyz: string };
}

export function memberRecords(clusterDir: string): MemberRecord[] {
  let files: string[];
  try {
    files = readdirSync(membersDir(clusterDir)).filter((f) => f.endsWith(".json"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return []; // no member ever joined
    throw err;
  }
  return files.sort().map((f) => JSON.parse(readFileSync(join(membersDir(clusterDir), f), "utf8")) as MemberRecord);
}

/** A member's addresses, from its settings (ports as in the header). */
export function memberAddresses(s: ClusterSettings, cp: JoinedControlPlane) {
  return {
    etcdClient: `https://${s.host}:${s.etcdPort}`,
    etcdPeer: `${cp.peerScheme}://${s.host}:${s.etcdPort + 1}`,
    etcdMetrics: `127.0.0.1:${s.etcdPort + 2}`,
    api: `${s.host}:${s.apiPort}`,
    readyz: `http://${s.host}:${s.apiPort + 1}/readyz`,
  };
}

/** The member's PKI: its own certificates, the cluster's CA (copied) and the cluster's bootstrap tokens (shared). */
export function memberPki(paths: ClusterPaths, cp: JoinedControlPlane): Pki {
  return { ...pkiPaths(paths.pki), tokens: pkiPaths(join(cp.clusterDir, "pki")).tokens };
}

/** The member's etcd client TLS (its API server's certificate towards etcd). */
export function etcdTls(pki: Pki) {
  return { ca: readFileSync(pki.ca.cert), cert: readFileSync(pki.etcdClient.cert), key: readFileSync(pki.etcdClient.key) };
}

const hostPort = (url: string) => url.replace(/^[a-z]+:\/\//, "");

/** Whether member `name` is a voter now, asking each member in turn; undefined when none answers. */
export async function isVoter(etcdServers: string[], pki: Pki, name: string): Promise<boolean | undefined> {
  for (const url of etcdServers) {
    const m = new EtcdMembership(hostPort(url), etcdTls(pki), 3_000);
    try {
      const members: EtcdMemberInfo[] = await m.list();
      const me = members.find((x) => x.name === name);
      return me !== undefined && !me.isLearner;
    } catch {
      // this member does not answer (down, or not started yet): ask the next
    } finally {
      m.close();
    }
  }
  return undefined;
}

/** Until the member's etcd is a voter (the join promotes it): an API server on a learner gets no reads. */
async function untilVoter(etcdServers: string[], pki: Pki, name: string, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!signal.aborted) {
    if ((await isVoter(etcdServers, pki, name)) === true) return;
    if (Date.now() > deadline) throw new Error(`etcd member ${name} is not a voting member after 120s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The member's two components, in start order (the supervisor's specs, as components.ts makes a cluster's). */
export function memberComponents(s: ClusterSettings, cp: JoinedControlPlane, paths: ClusterPaths): ComponentSpec[] {
  const a = memberAddresses(s, cp);
  const pki = memberPki(paths, cp);
  const etcd: ComponentSpec = {
    name: `etcd-${cp.name}`,
    command: "etcd",
    args: [
      ...["--name", cp.name, "--data-dir", join(paths.data, "etcd")],
      ...["--listen-client-urls", a.etcdClient, "--advertise-client-urls", a.etcdClient],
      ...["--listen-peer-urls", a.etcdPeer, "--initial-advertise-peer-urls", a.etcdPeer],
      ...["--initial-cluster", cp.initialCluster, "--initial-cluster-state", "existing"],
      ...["--quota-backend-bytes", String(2 * 1024 * 1024 * 1024)],
      ...etcdServerTlsArgs(pki),
      ...(cp.peerScheme === "https" ? etcdPeerTlsArgs(pki) : []),
      ...["--listen-metrics-urls", `http://${a.etcdMetrics}`],
    ],
    address: a.etcdClient,
    healthUrl: `http://${a.etcdMetrics}/health`,
    logFile: join(paths.logs, `etcd-${cp.name}.log`),
  };
  const bin = resolveComponent("apiserver");
  if (!bin) return [etcd];
  const apiserver: ComponentSpec = {
    name: `apiserver-${cp.name}`,
    command: bin.command,
    args: [
      ...bin.args,
      ...["--etcd-servers", cp.etcdServers.join(",")],
      ...["--listen", a.api, "--advertise-address", s.host, "--http-listen", hostPort(a.readyz).replace(/\/readyz$/, "")],
      ...["--service-cluster-ip-range", s.serviceClusterIpRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE],
      // Several etcd members: a call stuck behind a killed leader comes back for the client to retry (as --ha).
      ...["--etcd-request-timeout", "4s"],
      ...apiserverTlsArgs(pki),
    ],
    address: a.api,
    healthUrl: a.readyz,
    logFile: join(paths.logs, `apiserver-${cp.name}.log`),
    prepare: (signal) => untilVoter(cp.etcdServers, pki, cp.name, signal),
  };
  return [etcd, apiserver];
}
