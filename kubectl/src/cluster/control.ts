// `mkctl cluster up|down|status`: start the supervisor in the background and wait until every
// component is healthy, showing progress; stop it; list what runs.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { type ClusterSettings, DEFAULT_SETTINGS, clusterComponents } from "./components.js";
import type { ClusterPaths } from "./paths.js";
import { isAlive, isHealthy, readState } from "./state.js";

export type Progress = (line: string) => void;

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

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** Every host:port the cluster will listen on, with who will listen there. */
function listenAddresses(s: ClusterSettings, paths: ClusterPaths): { who: string; host: string; port: number }[] {
  const out: { who: string; host: string; port: number }[] = [
    { who: "etcd peer", host: s.host, port: s.etcdPort + 1 },
    { who: "apiserver health", host: s.host, port: s.apiHttpPort },
  ];
  for (const c of clusterComponents(s, paths)) {
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
    // Another cluster (or anything else) on our ports would answer our health checks and fool us.
    for (const a of listenAddresses(settings, paths)) {
      if (!(await portFree(a.host, a.port))) {
        throw new Error(`${a.host}:${a.port} (${a.who}) is already in use: stop what listens there, or pick other ports with --api-port/--etcd-port`);
      }
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
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0) {
    const checks = await Promise.all([...pending.values()].map(async (c) => [c, await isHealthy(c.healthUrl, 500)] as const));
    for (const [c, ok] of checks) {
      if (ok) {
        progress(`  ✔ ${c.name.padEnd(12)} ready at ${c.address} (${secs()})`);
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
  if (!state || !isAlive(state.supervisorPid)) {
    progress("local cluster is not running");
    return;
  }
  process.kill(state.supervisorPid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (isAlive(state.supervisorPid)) {
    if (Date.now() > deadline) throw new Error(`supervisor pid ${state.supervisorPid} did not stop within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  progress(`local cluster stopped (data kept in ${paths.data})`);
}

export interface StatusRow {
  name: string;
  pid: number;
  address: string;
  health: string;
  restarts: number;
  log: string;
}

export async function clusterStatus(paths: ClusterPaths): Promise<{ running: boolean; rows: StatusRow[] }> {
  const state = readState(paths.state);
  if (!state || !isAlive(state.supervisorPid)) return { running: false, rows: [] };
  const rows = await Promise.all(
    state.components.map(async (c) => ({
      name: c.name,
      pid: c.pid,
      address: c.address,
      health: c.pid && isAlive(c.pid) ? ((await isHealthy(c.healthUrl)) ? "healthy" : "unhealthy") : "down",
      restarts: c.restarts,
      log: c.logFile,
    })),
  );
  return { running: true, rows };
}
