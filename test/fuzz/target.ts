// The system under fuzz: a native etcd and mk-apiserver as its own process (so its RSS is its own,
// and a crash is an exit, not a failed test), on free loopback ports.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../harness/etcd.js";
import { type NativeEtcd, startNativeEtcd } from "../harness/etcd-native.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface FuzzTarget {
  /** 127.0.0.1:PORT of the gRPC API. */
  address: string;
  pid: number;
  /** Exits of the API server seen so far (any exit during a run is a crash). */
  exits(): { code: number | null; signal: string | null }[];
  /** The API server's resident set size in bytes (/proc/PID/status VmRSS). */
  rss(): number;
  /** etcd's current revision: every write moves it. */
  revision(): Promise<number>;
  stop(): Promise<void>;
}

export async function startFuzzTarget(): Promise<FuzzTarget> {
  const etcd: NativeEtcd = await startNativeEtcd("/dev/shm");
  const port = await freePort();
  const httpPort = await freePort();
  const exits: { code: number | null; signal: string | null }[] = [];
  let api: ChildProcess | undefined;
  try {
    api = spawn(
      process.execPath,
      [resolve(root, "apiserver/dist/main.js"), "--etcd-servers", etcd.endpoint, "--listen", `127.0.0.1:${port}`, "--http-listen", `127.0.0.1:${httpPort}`, "--log-level", "warn"],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    api.on("exit", (code, signal) => exits.push({ code, signal }));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exits.length > 0) throw new Error(`mk-apiserver exited at start: ${JSON.stringify(exits[0])}`);
      try {
        if ((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error("mk-apiserver did not become ready within 30 s");
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    api?.kill("SIGKILL");
    await etcd.stop();
    throw err;
  }
  const proc = api;
  const pid = proc.pid ?? 0;
  return {
    address: `127.0.0.1:${port}`,
    pid,
    exits: () => [...exits],
    rss() {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (!m) throw new Error(`no VmRSS for ${pid}`);
      return Number(m[1]) * 1024;
    },
    async revision() {
      // etcd's JSON gateway: a range read of one key answers with the store's revision in its header.
      const res = await fetch(`${etcd.endpoint}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: Buffer.from("/").toString("base64") }) });
      const body = (await res.json()) as { header?: { revision?: string } };
      return Number(body.header?.revision ?? Number.NaN);
    },
    async stop() {
      if (exits.length === 0) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (exits.length === 0) proc.kill("SIGKILL");
      }
      await etcd.stop();
    },
  };
}
