// `mkctl cluster join --control-plane --cluster-dir DIR --dir MEMBER_DIR --name NAME --etcd-port P
// --api-port Q`: adds an etcd member and an API server to a running cluster on this machine, as
// kubeadm's `join --control-plane` does on another:
//   1. certificates for the member, issued in-process from the cluster's CA, read from the cluster's
//      pki directory (kubeadm's manual certificate distribution: the operator copies the CA to the
//      new machine; here it is on the same one); the bootstrap tokens file stays the cluster's, so a
//      node may join through any API server
//   2. the member's etcd is added as a learner (etcd's Cluster.MemberAdd, called directly with the
//      API server's etcd client certificate: the only place outside the API server that talks to
//      etcd, for membership only), started with --initial-cluster-state existing, and promoted once it
//      has caught up (MemberPromote answers FailedPrecondition until then)
//   3. the member's API server starts once its etcd member votes, talking to every member
//   4. the cluster records the member: its balancer adds the API server (the kubeconfig's address
//      reaches every API server), its `status` lists the member's components, its `down` stops them
//      and its `up` starts them again (with three members, the cluster's own etcd needs them for quorum)
// The cluster must have a balancer at its address (`up --ha`, or `up --balancer` with one member per
// role): kubeadm likewise refuses a control-plane join without a --control-plane-endpoint.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { clusterDown, clusterStatus, type Progress, portFree, type StatusRow, savedSettings } from "./control.js";
import { backendsFile, etcdTls, memberAddresses, memberComponents, memberPki, memberRecords, membersDir, type MemberRecord } from "./control-plane-member.js";
import { addLearner, initialCluster, promoteWhenReady } from "./etcd-join.js";
import { type EtcdMemberInfo, EtcdMembership } from "./etcd-members.js";
import { type ClusterPaths, clusterPaths } from "./paths.js";
import { issue, pkiPaths } from "./pki.js";
import { etcdRole } from "./roles.js";
import { type ClusterSettings, DEFAULT_SETTINGS, type JoinedControlPlane, portsFrom } from "./settings.js";
import { isAlive, isHealthy, readState } from "./state.js";
import { clusterTopology } from "./topology.js";

export interface ControlPlaneJoinOptions {
  /** The running cluster's directory (its settings, pki, state). */
  clusterDir: string;
  /** The member's own directory. */
  dir: string;
  /** Its etcd member's name (its components: etcd-NAME, apiserver-NAME). */
  name: string;
  etcdPort: number;
  apiPort: number;
  timeoutMs: number;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `mkctl cluster supervise` for a directory in the background (as `cluster up` does). */
function startSupervisor(paths: ClusterPaths): void {
  mkdirSync(paths.logs, { recursive: true });
  const out = openSync(paths.supervisorLog, "a");
  const main = fileURLToPath(new URL("../main.js", import.meta.url));
  spawn(process.execPath, [main, "cluster", "supervise", "--root", paths.root], { detached: true, stdio: ["ignore", out, out] }).unref();
}

const running = (paths: ClusterPaths) => {
  const state = readState(paths.state);
  return state !== undefined && isAlive(state.supervisorPid);
};

/** The cluster's settings, checked: running, with TLS and a balancer at its address. */
function joinableCluster(clusterDir: string): ClusterSettings {
  const cluster = clusterPaths(clusterDir);
  const s = savedSettings(cluster);
  if (!s || !running(cluster)) throw new Error(`--cluster-dir ${clusterDir}: no cluster runs from there (start it with mkctl cluster up --balancer)`);
  if (s.controlPlane) throw new Error(`--cluster-dir ${clusterDir} holds a joined member (${s.controlPlane.name}): give the directory of the cluster it joined, ${s.controlPlane.clusterDir}`);
  if (!s.tls) throw new Error(`--cluster-dir ${clusterDir}: the cluster runs without TLS (up --insecure); a control-plane member needs its CA`);
  if (!s.ha && !s.balancer) {
    throw new Error(
      `the cluster's address ${s.host}:${s.apiPort} is its API server itself, so an API server joined now could not be reached there: restart the cluster with a balancer at its address (mkctl cluster down; mkctl cluster up --balancer), as kubeadm needs --control-plane-endpoint`,
    );
  }
  return s;
}

async function waitHealthy(url: string, what: string, deadline: number, logFile: string): Promise<void> {
  while (!(await isHealthy(url, 2_000))) {
    if (Date.now() > deadline) throw new Error(`${what} is not ready at ${url}; see ${logFile}`);
    await sleep(200);
  }
}

/** Writes the record and rewrites the balancer's list from every record. */
function recordMember(clusterDir: string, record: MemberRecord): void {
  mkdirSync(membersDir(clusterDir), { recursive: true });
  writeFileSync(join(membersDir(clusterDir), `${record.name}.json`), JSON.stringify(record, null, 2));
  writeBackends(clusterDir, memberRecords(clusterDir));
}

/** The balancer's list of joined API servers (a rename: the balancer never reads half a file). */
function writeBackends(clusterDir: string, records: MemberRecord[]): void {
  mkdirSync(membersDir(clusterDir), { recursive: true });
  const lines = records.map((r) => `${r.apiserver.address}=${r.apiserver.readyz}`);
  const file = backendsFile(clusterDir);
  writeFileSync(`${file}.tmp`, `${lines.join("\n")}\n`);
  renameSync(`${file}.tmp`, file);
}

export async function joinControlPlane(o: ControlPlaneJoinOptions, progress: Progress): Promise<MemberRecord> {
  if (!NAME.test(o.name)) throw new Error(`--name ${JSON.stringify(o.name)}: want lowercase letters, digits and '-'`);
  for (const [flag, port] of [["--etcd-port", o.etcdPort], ["--api-port", o.apiPort]] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65533) throw new Error(`${flag} ${port}: want a port number (the next ${flag === "--etcd-port" ? "two" : "one"} are used too)`);
  }
  const s = joinableCluster(o.clusterDir);
  const cluster = clusterPaths(o.clusterDir);
  const paths = clusterPaths(o.dir);
  if (existsSync(paths.settings)) throw new Error(`--dir ${o.dir} already holds a cluster or a member: give a new directory`);
  if (memberRecords(o.clusterDir).some((r) => r.name === o.name)) throw new Error(`--name ${o.name}: a member of that name already joined`);
  const settings: ClusterSettings = { ...DEFAULT_SETTINGS, host: s.host, ...portsFrom(o.apiPort), etcdPort: o.etcdPort, nodes: 0, tls: true, serviceClusterIpRange: s.serviceClusterIpRange };
  for (const [host, port, who] of [
    [s.host, o.etcdPort, "etcd client"],
    [s.host, o.etcdPort + 1, "etcd peer"],
    ["127.0.0.1", o.etcdPort + 2, "etcd health"],
    [s.host, o.apiPort, "API server"],
    [s.host, o.apiPort + 1, "API server health"],
  ] as const) {
    if (!(await portFree(host, port))) throw new Error(`${host}:${port} (${who}) is already in use: pick other ports with --etcd-port/--api-port`);
  }
  const deadline = Date.now() + o.timeoutMs;

  // 1. Certificates from the cluster's CA (copied, as kubeadm's control-plane nodes each hold it).
  mkdirSync(paths.pki, { recursive: true, mode: 0o700 });
  const from = pkiPaths(cluster.pki);
  const pki = pkiPaths(paths.pki);
  copyFileSync(from.ca.cert, pki.ca.cert);
  copyFileSync(from.ca.key, pki.ca.key);
  const names = [...new Set([s.host, "127.0.0.1", "localhost", hostname()])];
  const san = (n: string) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`);
  await Promise.all([
    issue(pki.ca, pki.apiserver, { subject: "/CN=kube-apiserver", sans: names.map(san), usage: "server" }),
    issue(pki.ca, pki.apiserverKubeletClient, { subject: "/O=system:masters/CN=kube-apiserver-kubelet-client", usage: "client" }),
    issue(pki.ca, pki.etcdServer, { subject: `/CN=etcd-${o.name}`, sans: [...new Set(["127.0.0.1", "localhost", s.host])].map(san), usage: "both" }),
    issue(pki.ca, pki.etcdClient, { subject: "/CN=kube-apiserver-etcd-client", usage: "client" }),
  ]);
  progress(`certificates for ${o.name} issued from the cluster CA in ${paths.pki}`);

  // 2. etcd: a learner first, then a voter.
  const endpoints = clusterTopology(s, cluster).etcd.map((m) => `${m.host}:${m.clientPort}`);
  let etcd: EtcdMembership | undefined;
  let members: EtcdMemberInfo[] = [];
  for (const endpoint of endpoints) {
    const candidate = new EtcdMembership(endpoint, etcdTls(pki));
    try {
      members = await candidate.list();
      etcd = candidate;
      break;
    } catch {
      candidate.close(); // that member does not answer: try the next
    }
  }
  if (!etcd) throw new Error(`no etcd member of the cluster answers (${endpoints.join(", ")})`);
  try {
    if (members.some((m) => m.name === o.name)) throw new Error(`--name ${o.name}: etcd has a member of that name already`);
    const peerScheme = members[0]?.peerUrls[0]?.startsWith("https:") ? "https" : "http";
    const cp: JoinedControlPlane = { name: o.name, clusterDir: o.clusterDir, peerScheme, initialCluster: "", etcdServers: [] };
    const a = memberAddresses(settings, cp);
    const added = await addLearner(etcd, a.etcdPeer, deadline);
    progress(`etcd member ${o.name} added as a learner (${a.etcdPeer}, peers over ${peerScheme})`);
    cp.initialCluster = initialCluster(added.members, added.member, o.name);
    cp.etcdServers = added.members.flatMap((m) => (m.id === added.member.id ? [a.etcdClient] : m.clientUrls));
    settings.controlPlane = cp;
    try {
      mkdirSync(paths.root, { recursive: true });
      writeFileSync(paths.settings, JSON.stringify(settings, null, 2));
      startSupervisor(paths);
      await promoteWhenReady(etcd, added.member.id, deadline);
    } catch (err) {
      // Leave the cluster as it was: a learner has no vote, but a dead one is clutter.
      await etcd.remove(added.member.id).catch(() => undefined);
      if (running(paths)) await clusterDown(paths, () => {});
      throw err;
    }
    progress(`etcd member ${o.name} promoted to a voting member`);
    const specs = memberComponents(settings, cp, paths);
    for (const spec of specs) await waitHealthy(spec.healthUrl, spec.name, deadline, spec.logFile);
    // 4. The cluster learns of the member: its balancer, status, down and up.
    const record: MemberRecord = {
      name: o.name,
      root: paths.root,
      etcd: { component: `etcd-${o.name}`, clientUrl: a.etcdClient, metricsAddress: a.etcdMetrics },
      apiserver: { component: `apiserver-${o.name}`, address: a.api, readyz: a.readyz },
    };
    recordMember(o.clusterDir, record);
    progress(`API server ${a.api} behind the cluster's address ${s.host}:${s.apiPort}`);
    return record;
  } finally {
    etcd.close();
  }
}

/** `cluster up` of a cluster with joined members: their supervisors too (the cluster's etcd may need their votes). */
export function startMembers(clusterDir: string, progress: Progress): void {
  for (const r of memberRecords(clusterDir)) {
    const paths = clusterPaths(r.root);
    if (running(paths)) continue;
    startSupervisor(paths);
    progress(`starting control-plane member ${r.name} (${r.root})`);
  }
}

/** `cluster down` of a cluster with joined members: each member's supervisor stops first. */
export async function stopMembers(clusterDir: string, progress: Progress): Promise<void> {
  for (const r of memberRecords(clusterDir)) {
    const paths = clusterPaths(r.root);
    if (!running(paths)) continue;
    await clusterDown(paths, () => {});
    progress(`control-plane member ${r.name} stopped (data kept in ${paths.data})`);
  }
}

/** The members' rows for `cluster status`: their components, etcd's role from its metrics. */
export async function memberRows(clusterDir: string): Promise<StatusRow[]> {
  const rows: StatusRow[] = [];
  for (const r of memberRecords(clusterDir)) {
    const status = await clusterStatus(clusterPaths(r.root));
    if (!status.running) {
      for (const component of [r.etcd.component, r.apiserver.component]) rows.push({ name: component, pid: 0, address: "-", role: "-", health: "down", restarts: 0, log: r.root });
      continue;
    }
    const metrics = await fetch(`http://${r.etcd.metricsAddress}/metrics`, { signal: AbortSignal.timeout(2_000) }).then(
      (res) => (res.ok ? res.text() : undefined),
      () => undefined,
    );
    for (const row of status.rows) rows.push({ ...row, role: row.name === r.etcd.component ? etcdRole(metrics) : "apiserver" });
  }
  return rows;
}

/**
 * `cluster leave --dir MEMBER_DIR`: the member leaves the cluster it joined, as kubeadm reset does on a
 * control-plane node: out of the balancer's list first (no new connection goes there), its etcd
 * member removed through another member while every member still runs (so a 2-member cluster keeps
 * the quorum the removal needs; the removed member's etcd then stops by itself), its processes
 * stopped, its record dropped, and its etcd data deleted (a removed member cannot come back with it;
 * the directory may join again). Its logs and certificates stay.
 */
export async function leaveControlPlane(memberDir: string, progress: Progress): Promise<void> {
  const paths = clusterPaths(memberDir);
  const settings = savedSettings(paths);
  const cp = settings?.controlPlane;
  if (!settings || !cp) throw new Error(`--dir ${memberDir} holds no control-plane member (cluster join --control-plane makes one)`);
  const records = memberRecords(cp.clusterDir);
  writeBackends(
    cp.clusterDir,
    records.filter((r) => r.name !== cp.name),
  );
  // Every other member: the cluster's own and those joined before or after this one.
  const cluster = savedSettings(clusterPaths(cp.clusterDir));
  const own = cluster ? clusterTopology(cluster, clusterPaths(cp.clusterDir)).etcd.map((m) => `${m.host}:${m.clientPort}`) : [];
  const mine = memberAddresses(settings, cp).etcdClient.replace(/^https:\/\//, "");
  const endpoints = [...new Set([...own, ...records.map((r) => r.etcd.clientUrl.replace(/^https:\/\//, ""))])].filter((e) => e !== mine);
  // etcd refuses a removal for a while after a member restarted ("not enough started members",
  // "unhealthy cluster": it must have been connected to a quorum for 5 s); asked again until then.
  const deadline = Date.now() + 60_000;
  let last: unknown;
  for (;;) {
    let removed = false;
    for (const endpoint of endpoints) {
      const etcd = new EtcdMembership(endpoint, etcdTls(memberPki(paths, cp)));
      try {
        const me = (await etcd.list()).find((m) => m.name === cp.name);
        if (me) await etcd.remove(me.id);
        removed = true;
        break;
      } catch (err) {
        last = err; // this member does not answer, or etcd refused for now: the next, then again
      } finally {
        etcd.close();
      }
    }
    if (removed) break;
    if (Date.now() > deadline) {
      throw new Error(`${cp.name} is still an etcd member (asked ${endpoints.join(", ")}): ${last instanceof Error ? last.message : String(last)}; run cluster leave again`, { cause: last });
    }
    await sleep(1_000);
  }
  progress(`etcd member ${cp.name} removed`);
  if (running(paths)) await clusterDown(paths, () => {});
  rmSync(join(membersDir(cp.clusterDir), `${cp.name}.json`), { force: true });
  rmSync(paths.data, { recursive: true, force: true });
  rmSync(paths.settings, { force: true });
  progress(`control-plane member ${cp.name} stopped; its etcd data deleted (logs and certificates kept in ${paths.root})`);
}
