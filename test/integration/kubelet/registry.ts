// A private docker-registry (Debian's) on a free loopback port with its own storage, for pull tests:
// Docker treats 127.0.0.0/8 registries as insecure (plain HTTP) by default.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./fixtures.js";
import { eventually } from "../../harness/wait.js";

export interface LocalRegistry {
  /** 127.0.0.1:PORT */
  host: string;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<LocalRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "mk-registry-"));
  const port = await freePort();
  const config = join(dir, "config.yml");
  await writeFile(
    config,
    `version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: ${join(dir, "data")}
http:
  addr: 127.0.0.1:${port}
`,
  );
  const proc: ChildProcess = spawn("docker-registry", ["serve", config], { stdio: "ignore" });
  const host = `127.0.0.1:${port}`;
  await eventually("registry up", async () => ((await fetch(`http://${host}/v2/`)).ok ? true : undefined), 10_000);
  return {
    host,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
