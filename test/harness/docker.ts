// Docker helpers for tests. Every container a test starts carries this run's label, so a test (or a
// failed run's cleanup) removes exactly what it started: by label or by id, never by a name pattern.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";

// What testcontainers needs on this machine (see DESIGN.md, "The machine it runs on"): no Ryuk
// reaper (its image would come from Docker Hub) and the daemon's ports reached on loopback.
// test/run.sh sets both; these defaults cover tests started some other way. testcontainers reads
// them lazily, when the first container starts, so setting them at import time is early enough.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";

/** The label key naming the test run a container belongs to. */
export const RUN_LABEL = "mk.test.run";

/** This test process's run: unique per process, so parallel test files never touch each other's containers. */
export const RUN_ID = `${process.pid}-${randomUUID().slice(0, 8)}`;

/** Labels for a container started by this run, plus any extra ones. */
export function runLabels(extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [RUN_LABEL]: RUN_ID };
}

export class DockerError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    super(`docker ${args.join(" ")}: ${stderr.trim() || "failed"}`, options);
    this.name = "DockerError";
  }
}

/** Runs the docker CLI and returns its stdout, trimmed. Fails with a DockerError carrying stderr. */
export async function docker(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile(
      "docker",
      [...args],
      { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) reject(new DockerError(args, stderr || err.message, { cause: err }));
        else resolve(stdout.trim());
      },
    );
  });
}

/** Whether an image with this exact tag exists locally. Never pulls. */
export async function imageExists(tag: string): Promise<boolean> {
  try {
    await docker(["image", "inspect", "--format", "{{.Id}}", tag]);
    return true;
  } catch (err) {
    if (err instanceof DockerError && /no such image/i.test(err.stderr)) return false;
    throw err;
  }
}

const CONTAINER_ID = /^[0-9a-f]{12,64}$/;

function checkIds(ids: readonly string[]): void {
  for (const id of ids) {
    if (!CONTAINER_ID.test(id)) throw new Error(`not a container id: ${JSON.stringify(id)}`);
  }
}

/** Ids of the containers, running or not, carrying label key=value (this run's label by default). */
export async function containersByLabel(key = RUN_LABEL, value: string = RUN_ID): Promise<string[]> {
  const out = await docker(["ps", "--all", "--no-trunc", "--quiet", "--filter", `label=${key}=${value}`]);
  return out === "" ? [] : out.split("\n");
}

/** Force-removes containers (and their anonymous volumes) by id; ids already gone are fine. */
export async function removeContainers(ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  checkIds(ids);
  try {
    await docker(["rm", "--force", "--volumes", ...ids]);
  } catch (err) {
    // `docker rm` removes every id it can and then reports the missing ones; those are already gone,
    // which is what was asked. Anything else is a real failure.
    if (!(err instanceof DockerError)) throw err;
    const real = err.stderr
      .split("\n")
      .filter((line) => line.trim() !== "" && !/no such container/i.test(line));
    if (real.length > 0) throw err;
  }
}

/** Removes every container this run started (by its label). For after() hooks. */
export async function removeRunContainers(): Promise<void> {
  await removeContainers(await containersByLabel());
}

/** A running container's address on its first network (reachable from this host). */
export async function containerIp(id: string): Promise<string> {
  checkIds([id]);
  const out = await docker([
    "inspect",
    "--format",
    "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
    id,
  ]);
  const ip = out.split(" ").find((s) => s !== "");
  if (!ip) throw new Error(`container ${id.slice(0, 12)} has no IP address`);
  return ip;
}
