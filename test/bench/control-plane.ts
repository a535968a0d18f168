// The control plane the controller benchmarks run: a native etcd, a real mk-apiserver process and a
// real mk-controller-manager process (no leader election), as `mkctl cluster up` runs them.
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../harness/etcd.js";
import { startNativeEtcd } from "../harness/etcd-native.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (i > 300) throw new Error(`${url} did not answer`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface ControlPlane {
  /** The API server's gRPC address. */
  server: string;
  stop(): Promise<void>;
}

/** Starts etcd, the API server and the controller manager (with extra flags, e.g. --controllers). */
export async function startControlPlane(controllerArgs: readonly string[] = []): Promise<ControlPlane> {
  const etcd = await startNativeEtcd();
  const port = await freePort();
  const httpPort = await freePort();
  const cmHttp = await freePort();
  const procs: ChildProcess[] = [];
  const stop = async () => {
    for (const p of procs.reverse()) p.kill("SIGTERM");
    await etcd.stop();
  };
  try {
    procs.push(
      spawn(process.execPath, [resolve(root, "apiserver/dist/main.js"), "--etcd-servers", etcd.endpoint, "--listen", `127.0.0.1:${port}`, "--http-listen", `127.0.0.1:${httpPort}`, "--log-level", "warn"], {
        stdio: ["ignore", "inherit", "inherit"],
      }),
    );
    await waitHttp(`http://127.0.0.1:${httpPort}/readyz`);
    procs.push(
      spawn(
        process.execPath,
        [resolve(root, "controller/dist/main.js"), "--server", `127.0.0.1:${port}`, "--no-leader-elect", "--http-listen", `127.0.0.1:${cmHttp}`, "--log-level", "warn", ...controllerArgs],
        { stdio: ["ignore", "inherit", "inherit"] },
      ),
    );
    await waitHttp(`http://127.0.0.1:${cmHttp}/healthz`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { server: `127.0.0.1:${port}`, stop };
}
