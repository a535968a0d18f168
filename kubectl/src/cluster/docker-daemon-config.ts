// A node's Docker engine trusting the cluster's registry over plain HTTP (`mkctl cluster join
// --registry HOST:PORT`): HOST:PORT merged into /etc/docker/daemon.json's "insecure-registries",
// keeping every other key, then SIGHUP to dockerd, which reloads that list live (no restart, so the
// node's containers keep running). Docker trusts registries on 127.0.0.0/8 already: nothing to do.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { isIPv4 } from "node:net";
import { CommandError, run } from "./lab/exec.js";

export const DOCKER_DAEMON_JSON = "/etc/docker/daemon.json";
export const DOCKERD_PIDFILE = "/var/run/docker.pid";

/** A daemon.json that cannot be merged into: its path and what is wrong, nothing written. */
export class DaemonConfigError extends Error {
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
    this.name = "DaemonConfigError";
  }
}

/** Checks `--registry`'s HOST:PORT (a DNS name or IPv4 address, a port 1…65535); returns it unchanged. */
export function parseRegistry(value: string): string {
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) {
    throw new Error(`--registry ${JSON.stringify(value)}: want HOST:PORT, e.g. 10.0.0.5:6449 (the address \`mkctl cluster up\` printed)`);
  }
  return value;
}

/** Whether Docker trusts the registry without configuration: it is on 127.0.0.0/8 (or localhost). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.slice(0, registry.lastIndexOf(":"));
  return host === "localhost" || (isIPv4(host) && host.startsWith("127."));
}

/**
 * daemon.json's text with registry in "insecure-registries", every other key kept; changed is false
 * (and text the input) when it is listed already. A missing or empty file counts as `{}`.
 */
export function withInsecureRegistry(file: string, text: string | undefined, registry: string): { text: string; changed: boolean } {
  let config: unknown = {};
  if (text !== undefined && text.trim() !== "") {
    try {
      config = JSON.parse(text);
    } catch (err) {
      throw new DaemonConfigError(file, `not valid JSON (${err instanceof Error ? err.message : String(err)}): fix it, then join again`, { cause: err });
    }
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new DaemonConfigError(file, "want a JSON object");
  const obj = config as Record<string, unknown>;
  const list = obj["insecure-registries"] ?? [];
  if (!Array.isArray(list) || !list.every((r): r is string => typeof r === "string")) {
    throw new DaemonConfigError(file, `"insecure-registries" must be a list of strings`);
  }
  if (list.includes(registry)) return { text: text ?? "", changed: false };
  return { text: `${JSON.stringify({ ...obj, "insecure-registries": [...list, registry] }, null, 2)}\n`, changed: true };
}

export interface TrustResult {
  /** What was done, for the user: one line. */
  message: string;
  changed: boolean;
  /** dockerd was signalled to reload its configuration. */
  reloaded: boolean;
}

/**
 * Makes the engine trust registry: merges it into file (atomically, keeping the file's mode) and
 * signals the dockerd whose pid is in pidfile to reload. Loopback registries need nothing.
 */
export function trustRegistry(registry: string, file = DOCKER_DAEMON_JSON, pidfile = DOCKERD_PIDFILE): TrustResult {
  if (isLoopbackRegistry(registry)) return { changed: false, reloaded: false, message: `registry ${registry} is on loopback: Docker trusts it already` };
  const before = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  const { text, changed } = withInsecureRegistry(file, before, registry);
  if (!changed) return { changed: false, reloaded: false, message: `registry ${registry}: already in ${file}'s insecure-registries` };
  const tmp = `${file}.mk-${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: before === undefined ? 0o644 : statSync(file).mode & 0o777 });
  renameSync(tmp, file);
  const pid = dockerdPid(pidfile);
  if (pid === undefined) {
    return { changed: true, reloaded: false, message: `registry ${registry}: added to ${file}'s insecure-registries; no dockerd pid in ${pidfile}: reload it yourself (systemctl reload docker)` };
  }
  process.kill(pid, "SIGHUP");
  return { changed: true, reloaded: true, message: `registry ${registry}: added to ${file}'s insecure-registries, dockerd (pid ${pid}) reloaded` };
}

function dockerdPid(pidfile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidfile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    // No pidfile: dockerd runs elsewhere (another --pidfile) or not at all; the caller says so.
    return undefined;
  }
}

/** Whether the engine (docker CLI's, DOCKER_HOST) reports registry as insecure: reloaded and in effect. */
export async function engineTrusts(registry: string): Promise<boolean> {
  const r = await run("docker", ["info", "--format", "{{json .RegistryConfig.IndexConfigs}}"]);
  if (r.code !== 0) throw new CommandError("docker", ["info"], r);
  const configs = JSON.parse(r.stdout) as Record<string, { Secure?: boolean }>;
  return configs[registry]?.Secure === false;
}

/** Waits (up to timeoutMs) until the reloaded engine trusts registry. */
export async function waitEngineTrusts(registry: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await engineTrusts(registry))) {
    if (Date.now() > deadline) throw new Error(`dockerd did not list ${registry} as an insecure registry within ${timeoutMs / 1000}s after the reload; check its log`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
