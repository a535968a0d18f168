// A lab node's own dockerd: its health over its socket, an orphan left by a killed supervisor, and
// the offline images it gets from the host engine (`docker save`, once, then `docker -H unix://SOCK
// load`; not a pull: they are in no registry). Images pushed to the lab's registry, on the bridge,
// are pulled: each node's dockerd trusts it.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { CommandError, must, run } from "./exec.js";
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
    // No default bridge: pods join the node's pod network (the kubelet makes it on its podCIDR).
    "--bridge=none",
    // The kubelet writes the node's pod rules itself (in mk's chains); Docker's own are not needed.
    "--iptables=false",
    // Its own config (prepareDockerd writes it), not the host's /etc/docker/daemon.json.
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
 * Before a node's dockerd starts: its directories and config (trusting the lab's registry, which
 * serves plain HTTP on the bridge), and no orphan of ours (a dockerd of this node left running by a
 * supervisor that was killed) holding its pidfile and socket.
 */
export async function prepareDockerd(node: LabNode, signal: AbortSignal, registry?: string): Promise<void> {
  mkdirSync(node.dockerExecRoot, { recursive: true });
  mkdirSync(node.dockerDataRoot, { recursive: true });
  writeFileSync(join(node.dockerExecRoot, "..", "daemon.json"), `${JSON.stringify(registry ? { "insecure-registries": [registry] } : {})}\n`);
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

/** GET on the Engine API over a unix socket: the status and the body. */
function engineGet(socket: string, path: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${path} on ${socket}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** The host engine's socket: DOCKER_HOST's when it is a unix socket, else Docker's default. */
function hostEngineSocket(): string {
  const h = process.env.DOCKER_HOST;
  return h?.startsWith("unix://") ? h.slice("unix://".length) : "/var/run/docker.sock";
}

/** The IDs of those images that the engine on socket has (one API call each, no CLI process). */
async function imageIds(images: readonly string[], socket: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    images.map(async (image) => {
      const r = await engineGet(socket, `/images/${encodeURIComponent(image)}/json`);
      if (r.status === 200) out.set(image, (JSON.parse(r.body) as { Id: string }).Id);
      else if (r.status !== 404) throw new Error(`image ${image} on ${socket}: HTTP ${r.status} ${r.body.trim()}`);
    }),
  );
  return out;
}

/** In-flight or finished archive writes, so the nodes of one supervisor share one `docker save`. */
const archives = new Map<string, Promise<string>>();

/**
 * One `docker save` of the images, in dir, named by their IDs: written once, shared by every node
 * and kept for later `up`s until an image changes (a rebuilt mk/web:v1 gets a new archive).
 */
function imageArchive(dir: string, ids: Map<string, string>): Promise<string> {
  const names = [...ids.keys()].sort();
  const key = createHash("sha256")
    .update(names.map((n) => `${n}=${ids.get(n)}`).join("\n"))
    .digest("hex")
    .slice(0, 12);
  const file = join(dir, `images-${key}.tar`);
  let p = archives.get(file);
  if (!p) {
    p = (async () => {
      if (existsSync(file)) return file;
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      const r = await run("docker", ["save", "-o", tmp, ...names], 300_000);
      if (r.code !== 0) {
        rmSync(tmp, { force: true });
        throw new CommandError("docker", ["save", "-o", tmp, ...names], r);
      }
      renameSync(tmp, file);
      // An archive of images since rebuilt is no use any more.
      for (const f of readdirSync(dir)) if (/^images-[0-9a-f]{12}\.tar$/.test(f) && join(dir, f) !== file) rmSync(join(dir, f), { force: true });
      return file;
    })();
    // A failed save is tried again on the next start, not remembered.
    p.catch(() => archives.delete(file));
    archives.set(file, p);
  }
  return p;
}

/**
 * Copies the images the host engine has, and the node lacks (or has another version of), into the
 * node's dockerd: `docker -H unix://SOCK load` of the shared archive in archiveDir. Returns what it loaded.
 */
export async function loadImages(node: LabNode, images: readonly string[], archiveDir: string): Promise<string[]> {
  const host = `unix://${node.dockerSocket}`;
  const [have, got] = await Promise.all([imageIds(images, hostEngineSocket()), imageIds(images, node.dockerSocket)]);
  const missing = [...have.keys()].filter((i) => got.get(i) !== have.get(i));
  if (missing.length === 0) return [];
  const archive = await imageArchive(archiveDir, have);
  await must("docker", ["-H", host, "load", "--quiet", "-i", archive], 300_000);
  return missing;
}
