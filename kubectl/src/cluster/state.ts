// state.json: what the supervisor runs, read by `cluster status` and `cluster down`.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { unixHealthy } from "./lab/docker.js";

export interface ComponentState {
  name: string;
  pid: number;
  address: string;
  healthUrl: string;
  logFile: string;
  restarts: number;
  startedAt: string;
  /** Stopped on purpose (`mkctl cluster node stop`): not restarted until `node start`. */
  held?: boolean;
}

export interface ClusterState {
  supervisorPid: number;
  startedAt: string;
  components: ComponentState[];
}

export function readState(file: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ClusterState;
  } catch {
    // No state file (never started, or cleanly stopped) or one being rewritten: nothing runs.
    return undefined;
  }
}

export function writeState(file: string, state: ClusterState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, file);
}

export function isAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function isHealthy(url: string, timeoutMs = 1000): Promise<boolean> {
  // A lab node's dockerd answers on a unix socket.
  if (url.startsWith("http+unix:")) return await unixHealthy(url, timeoutMs);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}
