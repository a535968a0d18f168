// `mkctl cluster up|down|status`: start the supervisor in the background and wait until every
// component is healthy, showing progress; stop it; list what runs.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { clusterComponents } from "./components.js";
import { labLayout } from "./lab/layout.js";
import { labNetworkDown, labNetworkUp, linkUp, pickLabNet, requireRoot } from "./lab/network.js";
import type { ClusterPaths } from "./paths.js";
import { memberRoles } from "./roles.js";
import { initLocalPki } from "./secure.js";
import { podNetworkDown, removeProxyLocks } from "./podnet-cleanup.js";
import { type ClusterSettings, clusterIdOf, DEFAULT_SETTINGS } from "./settings.js";
import { clusterTopology } from "./topology.js";
import { isAlive, isHealthy, readState } from "./state.js";

export type Progress = (line: string) => void;

/** The settings a cluster was started with, if it ever was (reading them changes nothing). */
export function savedSettings(paths: ClusterPaths): ClusterSettings | undefined {
  if (!existsSync(paths.settings)) return undefined;
  return { ...DEFAULT_SETTINGS, ...(JSON.parse(readFileSync(paths.settings, "utf8")) as Partial<ClusterSettings>) };
}

/**
 * Lab mode's settings: a lab number free on this host (kept for later `up`s) and the bridge's host
 * address as the cluster's address, where the API server listens for mkctl and the nodes alike.
 */
export async function loadLabSettings(paths: ClusterPaths, overrides: Partial<ClusterSettings>): Promise<ClusterSettings> {
  requireRoot();
  const saved = savedSettings(paths);
  const state = readState(paths.state);
  if (state && isAlive(state.supervisorPid)) {
    if (!saved?.isolated) throw new Error("a local cluster (not a lab) runs from this directory: stop it first (mkctl cluster down)");
    return loadSettings(paths, overrides);
  }
  // The lab keeps its number unless another lab took it while this one was down.
  const lab = saved?.isolated ? saved.labNet : undefined;
  const labNet = await pickLabNet(labLayout({ ...DEFAULT_SETTINGS, ...saved }, paths).bridge, lab);
  return loadSettings(paths, { ...overrides, isolated: true, labNet, host: `10.213.${labNet}.1` });
}

export function loadSettings(paths: ClusterPaths, overrides: Partial<ClusterSettings> = {}): ClusterSettings {
  let saved: Partial<ClusterSettings> = {};
  if (existsSync(paths.settings)) saved = JSON.parse(readFileSync(paths.settings, "utf8")) as Partial<ClusterSettings>;
  const settings = { ...DEFAULT_SETTINGS, ...saved, ...overrides };
  mkdirSync(paths.root, { recursive: true });
  writeFileSync(paths.settings, JSON.stringify(settings, null, 2));
  return settings;
}

function tail(file: string, lines = 5): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

function udpPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket("udp4");
    sock.once("error", () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, host, () => sock.close(() => resolve(true)));
  });
}

/** A port free on host for TCP and UDP alike: port 0's pick for TCP, checked for UDP. */
async function freeDnsPort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, host, () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
      });
    });
    if (port && (await udpPortFree(host, port))) return port;
  }
  throw new Error(`no port free for TCP and UDP alike on ${host} for the cluster DNS`);
}

/**
 * The cluster DNS port: the one this cluster was given before, while it is free, else a free one
 * (so two clusters on one host never share it), kept in the settings for later `up`s.
 */
async function ensureDnsPort(paths: ClusterPaths, settings: ClusterSettings, progress: Progress): Promise<void> {
  const kept = settings.dnsPort;
  if (kept && (await portFree(settings.host, kept)) && (await udpPortFree(settings.host, kept))) return;
  settings.dnsPort = await freeDnsPort(settings.host);
  writeFileSync(paths.settings, JSON.stringify(settings, null, 2));
  if (kept) progress(`cluster DNS port ${kept} is in use: the cluster DNS moves to ${settings.dnsPort}`);
}

export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** Every host:port the cluster will listen on, with who will listen there. */
function listenAddresses(s: ClusterSettings, paths: ClusterPaths): { who: string; host: string; port: number }[] {
  // The peer ports are in no address or health URL; every other port is.
  // (An HA lab's etcd member listens inside its own, fresh namespace, as a lab node.)
  const out = clusterTopology(s, paths).etcd.filter((m) => !m.lab).map((m) => ({ who: `${m.component} peer`, host: m.host, port: m.peerPort }));
  for (const c of clusterComponents(s, paths)) {
    // A lab node listens inside its own, fresh network namespace: nothing else can be there.
    if (c.netns) continue;
    const m = /^(?:https?:\/\/)?([\d.]+):(\d+)$/.exec(c.address);
    if (m?.[1] && m[2]) out.push({ who: c.name, host: m[1], port: Number(m[2]) });
    const h = /^https?:\/\/([\d.]+):(\d+)\//.exec(c.healthUrl);
    if (h?.[1] && h[2] && h[2] !== m?.[2]) out.push({ who: `${c.name} health`, host: h[1], port: Number(h[2]) });
  }
  return out;
}

/** Starts the cluster (or finds it running) and resolves when every component is healthy. */
export async function clusterUp(paths: ClusterPaths, settings: ClusterSettings, progress: Progress, timeoutMs = 60_000): Promise<void> {
  const t0 = performance.now();
  const secs = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
  const state = readState(paths.state);
  if (!state || !isAlive(state.supervisorPid)) {
    if (settings.isolated) {
      const lab = labLayout(settings, paths);
      await labNetworkUp(lab);
      progress(`lab network ready: bridge ${lab.bridge} ${lab.hostIp}/24, ${[...lab.etcdMembers, ...lab.nodes].map((n) => `${n.netns} ${n.ip}`).join(", ")} (${secs()})`);
    }
    await ensureDnsPort(paths, settings, progress);
    // Another cluster (or anything else) on our ports would answer our health checks and fool us.
    for (const a of listenAddresses(settings, paths)) {
      if (!(await portFree(a.host, a.port))) {
        throw new Error(`${a.host}:${a.port} (${a.who}) is already in use: stop what listens there, or pick other ports with --api-port/--etcd-port`);
      }
    }
    if (settings.tls) {
      await initLocalPki(settings, paths);
      progress(`certificates ready in ${paths.pki} (${secs()})`);
    }
    mkdirSync(paths.logs, { recursive: true });
    const out = openSync(paths.supervisorLog, "a");
    const main = fileURLToPath(new URL("../main.js", import.meta.url));
    const child = spawn(process.execPath, [main, "cluster", "supervise", "--root", paths.root], {
      detached: true,
      stdio: ["ignore", out, out],
    });
    child.unref();
    progress(`starting local cluster (logs in ${paths.logs})`);
  } else {
    progress(`local cluster already running (supervisor pid ${state.supervisorPid})`);
  }
  const pending = new Map(clusterComponents(settings, paths).map((c) => [c.name, c]));
  const nameWidth = Math.max(...[...pending.keys()].map((n) => n.length));
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0) {
    const checks = await Promise.all([...pending.values()].map(async (c) => [c, await isHealthy(c.healthUrl, 500)] as const));
    for (const [c, ok] of checks) {
      if (ok) {
        progress(`  ✔ ${c.name.padEnd(nameWidth)} ready at ${c.address} (${secs()})`);
        pending.delete(c.name);
      }
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      const c = [...pending.values()][0];
      const last = c ? tail(c.logFile) : "";
      throw new Error(`${[...pending.keys()].join(", ")} not ready after ${timeoutMs / 1000}s; see ${c?.logFile}${last ? `:\n${last}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  progress(`cluster ready in ${secs()}`);
}

export async function clusterDown(paths: ClusterPaths, progress: Progress, timeoutMs = 30_000): Promise<void> {
  const state = readState(paths.state);
  const settings = savedSettings(paths);
  if (!state || !isAlive(state.supervisorPid)) {
    if (settings?.isolated) await labLeftovers(paths, settings, progress);
    else if (settings) await localPodNetworkDown(settings, progress);
    progress("local cluster is not running");
    return;
  }
  process.kill(state.supervisorPid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (isAlive(state.supervisorPid)) {
    if (Date.now() > deadline) throw new Error(`supervisor pid ${state.supervisorPid} did not stop within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (settings?.isolated) {
    // The supervisor removed the network already; this reports (and retries) a failure of its.
    const lab = labLayout(settings, paths);
    await labNetworkDown(lab);
    // The nodes' rules went with their namespaces; their proxies' lock files are on the host.
    await removeProxyLocks(clusterIdOf(settings));
    progress(`lab network removed: ${lab.bridge}, ${lab.nodes.map((n) => n.netns).join(", ")}`);
  } else if (settings) {
    await localPodNetworkDown(settings, progress);
  }
  progress(`local cluster stopped (data kept in ${paths.data})`);
}

/** The local cluster's pod network rules, and its pod networks no container uses any more. */
async function localPodNetworkDown(settings: ClusterSettings, progress: Progress): Promise<void> {
  const r = await podNetworkDown(clusterIdOf(settings));
  if (r.rules) progress("pod network rules removed");
  if (r.networksRemoved.length > 0) progress(`pod networks removed: ${r.networksRemoved.join(", ")}`);
  if (r.networksInUse.length > 0) progress(`pod networks kept (the pods left running still use them): ${r.networksInUse.join(", ")}`);
}

/**
 * A lab whose supervisor died (killed, or the machine's OOM killer): stop the node processes it
 * left, by the pids it recorded, then remove the network.
 */
async function labLeftovers(paths: ClusterPaths, settings: ClusterSettings, progress: Progress): Promise<void> {
  const lab = labLayout(settings, paths);
  const specs = new Map(clusterComponents(settings, paths).map((c) => [c.name, c]));
  const pids: number[] = [];
  for (const c of readState(paths.state)?.components ?? []) {
    const spec = specs.get(c.name);
    // Only a process still running this component's command line: a recycled pid is someone else's.
    if (spec && c.pid && isAlive(c.pid) && runs(c.pid, spec.args)) pids.push(c.pid);
  }
  for (const pid of pids) process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 15_000;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids.filter(isAlive)) process.kill(pid, "SIGKILL");
  await removeProxyLocks(clusterIdOf(settings));
  if (await labNetworkDown(lab)) progress(`lab network removed: ${lab.bridge}, ${lab.nodes.map((n) => n.netns).join(", ")}`);
}

/** Whether pid's command line contains args (nsenter's own --net= left out: it execs the rest). */
function runs(pid: number, args: readonly string[]): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    return cmdline.includes(args.filter((a) => !a.startsWith("--net=")).join(" "));
  } catch {
    return false;
  }
}

export interface StatusRow {
  name: string;
  pid: number;
  address: string;
  /** roles.ts: etcd leader/follower, scheduler/controller-manager leader/standby, … ("-" unknown). */
  role: string;
  health: string;
  restarts: number;
  log: string;
}

/** What `cluster status` shows; `ha`: several members per role, so the ROLE column says which leads. */
export async function clusterStatus(paths: ClusterPaths): Promise<{ running: boolean; ha: boolean; rows: StatusRow[] }> {
  const state = readState(paths.state);
  if (!state || !isAlive(state.supervisorPid)) return { running: false, ha: false, rows: [] };
  // In a lab, a node whose link is cut says so (its kubelet runs but is unreachable).
  const settings = savedSettings(paths);
  const cut = new Set<string>();
  if (settings?.isolated) {
    for (const n of labLayout(settings, paths).nodes) if ((await linkUp(n)) === false) cut.add(n.name);
  }
  // With several members (--ha) or room for them (--balancer, control-plane members joined later): who leads.
  const roles = settings?.ha || settings?.balancer ? await memberRoles(clusterTopology(settings, paths)) : new Map<string, string>();
  const rows = await Promise.all(
    state.components.map(async (c) => {
      // 3 s: etcd's /health on a loaded machine can take more than a second to answer.
      let health = c.pid && isAlive(c.pid) ? ((await isHealthy(c.healthUrl, 3000)) ? "healthy" : "unhealthy") : c.held ? "stopped" : "down";
      if (cut.has(c.name)) health += " (link cut)";
      return { name: c.name, pid: c.pid, address: c.address, role: roles.get(c.name) ?? "-", health, restarts: c.restarts, log: c.logFile };
    }),
  );
  return { running: true, ha: settings?.ha === true || settings?.balancer === true, rows };
}
