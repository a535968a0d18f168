// A lab node's own dockerd: its health over its socket, an orphan left by a killed supervisor, and
// the offline images it gets from the host engine (`docker save | docker -H unix://SOCK load`, never
// a pull: no registry is reachable from a node).
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { run } from "./exec.js";
import type { LabNode } from "./layout.js";

/** `http+unix://<socket, URI-encoded>/path`: the health URL of something serving HTTP on a unix socket. */
export function unixHealthUrl(socket: string, path: string): string {
  return `http+unix://${encodeURIComponent(socket)}${path}`;
}

/** GET on an `http+unix://` URL: whether it answers 2xx within timeoutMs. */
export function unixHealthy(url: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = request({ socketPath: decodeURIComponent(u.host), path: u.pathname, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 300);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

/** The dockerd flags of a lab node, and its directories made. */
export function dockerdArgs(node: LabNode): string[] {
  return [
    "--data-root",
    node.dockerDataRoot,
    "--exec-root",
    node.dockerExecRoot,
    "--pidfile",
    node.dockerPidfile,
    "-H",
    `unix://${node.dockerSocket}`,
    "--bip",
    node.bip,
    // Rules in the node's own namespace would be harmless, but nothing needs them: the host routes
    // to the pods, and pods have no way out of the lab on purpose.
    "--iptables=false",
    // Its own (empty) config, not the host's /etc/docker/daemon.json.
    "--config-file",
    join(node.dockerExecRoot, "..", "daemon.json"),
    // Under the supervisor's 10 s stop grace, so containers stop cleanly before the namespace goes.
    "--shutdown-timeout",
    "5",
  ];
}

/** Waits ms, or less if signal aborts first; never rejects. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/**
 * Before a node's dockerd starts: its directories and config, and no orphan of ours (a dockerd of
 * this node left running by a supervisor that was killed) holding its pidfile and socket.
 */
export async function prepareDockerd(node: LabNode, signal: AbortSignal): Promise<void> {
  mkdirSync(node.dockerExecRoot, { recursive: true });
  mkdirSync(node.dockerDataRoot, { recursive: true });
  writeFileSync(join(node.dockerExecRoot, "..", "daemon.json"), "{}\n");
  let pid = 0;
  try {
    pid = Number(readFileSync(node.dockerPidfile, "utf8").trim());
  } catch {
    return; // no pidfile: nothing left over
  }
  // Only a dockerd with this node's exec root is ours to stop; a reused pid is someone else's.
  if (!pid || !cmdline(pid).includes(node.dockerExecRoot)) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 150 && cmdline(pid) !== "" && !signal.aborted; i++) await sleep(100, signal);
}

/** Waits until the node's dockerd answers /_ping. */
export async function waitDockerd(node: LabNode, signal: AbortSignal, timeoutMs = 60_000): Promise<void> {
  const url = unixHealthUrl(node.dockerSocket, "/_ping");
  const deadline = Date.now() + timeoutMs;
  while (!(await unixHealthy(url, 1000))) {
    if (signal.aborted) throw new Error("stopped");
    if (Date.now() > deadline) throw new Error(`dockerd of ${node.name} did not answer on ${node.dockerSocket} within ${timeoutMs / 1000}s`);
    await sleep(100, signal);
  }
}

async function imageIds(images: readonly string[], host?: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    images.map(async (image) => {
      const r = await run("docker", [...(host ? ["-H", host] : []), "image", "inspect", "--format", "{{.Id}}", image]);
      if (r.code === 0) out.set(image, r.stdout.trim());
    }),
  );
  return out;
}

/** Copies the images the host engine has, and the node lacks (or has another version of), into the node's dockerd. */
export async function loadImages(node: LabNode, images: readonly string[]): Promise<string[]> {
  const host = `unix://${node.dockerSocket}`;
  const [have, got] = await Promise.all([imageIds(images), imageIds(images, host)]);
  const missing = [...have.keys()].filter((i) => got.get(i) !== have.get(i));
  if (missing.length === 0) return [];
  await new Promise<void>((resolve, reject) => {
    const save = spawn("docker", ["save", ...missing], { stdio: ["ignore", "pipe", "pipe"] });
    const load = spawn("docker", ["-H", host, "load", "--quiet"], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    save.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    load.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    save.stdout.pipe(load.stdin);
    save.on("error", reject);
    load.on("error", reject);
    let saved: number | null = null;
    save.on("close", (code) => {
      saved = code;
    });
    load.on("close", (code) => {
      if (code === 0 && saved === 0) resolve();
      else reject(new Error(`docker save ${missing.join(" ")} | docker -H ${host} load: ${err.trim() || `exit ${saved}/${code}`}`));
    });
  });
  return missing;
}
