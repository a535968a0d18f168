// etcd as the local cluster runs it: Debian's binary as a plain process (no container, no
// docker-proxy in the path). Benchmarks use it so their figures are the product's, not Docker's.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./etcd.js";
import { eventually } from "./wait.js";

export interface NativeEtcd {
  endpoint: string;
  stop(): Promise<void>;
}

/** parent: where the data directory goes (default the OS temp dir; /dev/shm keeps it in memory). */
export async function startNativeEtcd(parent = tmpdir()): Promise<NativeEtcd> {
  const dir = await mkdtemp(join(parent, "mk-etcd-"));
  const client = await freePort();
  const peer = await freePort();
  const endpoint = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const proc = spawn(
    "etcd",
    [
      "--data-dir",
      join(dir, "data"),
      "--listen-client-urls",
      endpoint,
      "--advertise-client-urls",
      endpoint,
      "--listen-peer-urls",
      peerUrl,
      "--initial-advertise-peer-urls",
      peerUrl,
      "--initial-cluster",
      `default=${peerUrl}`,
    ],
    { stdio: "ignore" },
  );
  try {
    await eventually("etcd healthy", async () => (await fetch(`${endpoint}/health`)).ok);
  } catch (err) {
    proc.kill("SIGKILL");
    throw err;
  }
  return {
    endpoint,
    async stop() {
      proc.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
}
