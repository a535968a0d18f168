// The system under fuzz: a native etcd and mk-apiserver as its own process (so its RSS is its own,
// and a crash is an exit, not a failed test), on free loopback ports. It serves TLS with a
// self-signed certificate (no client CA: nobody is authenticated, so nothing is authorized away),
// so that its one address carries both edges: gRPC and the Kubernetes HTTP API (rest/frontdoor.ts).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { type ChannelCredentials, credentials } from "@grpc/grpc-js";
import { fileURLToPath } from "node:url";
import { freePort } from "../harness/etcd.js";
import { type NativeEtcd, startNativeEtcd } from "../harness/etcd-native.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface FuzzTarget {
  /** 127.0.0.1:PORT of the API (gRPC and HTTP, over TLS). */
  address: string;
  /** The server's self-signed certificate, which clients trust. */
  ca: Buffer;
  grpcCredentials(): ChannelCredentials;
  pid: number;
  /** Exits of the API server seen so far (any exit during a run is a crash). */
  exits(): { code: number | null; signal: string | null }[];
  /** The API server's resident set size in bytes (/proc/PID/status VmRSS). */
  rss(): number;
  /** etcd's current revision: every write moves it. */
  revision(): Promise<number>;
  /**
   * The API objects' keys written (put or deleted and re-put) after `revision`. The API server's own
   * bookkeeping under `/registry/\0` (its write fence, its endpoint lease, renewed every few seconds)
   * is left out: it moves etcd's revision while no request writes anything.
   */
  objectsWrittenSince(revision: number): Promise<string[]>;
  stop(): Promise<void>;
}

/** A self-signed EC certificate for 127.0.0.1 (key and certificate files in dir). */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, "server.crt");
  const key = join(dir, "server.key");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=mk-fuzz", "-days", "2", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  return { cert, key };
}

export async function startFuzzTarget(): Promise<FuzzTarget> {
  const dir = mkdtempSync(join(tmpdir(), "mk-fuzz-tls-"));
  const tls = selfSigned(dir);
  const ca = readFileSync(tls.cert);
  const etcd: NativeEtcd = await startNativeEtcd("/dev/shm");
  const port = await freePort();
  const httpPort = await freePort();
  const exits: { code: number | null; signal: string | null }[] = [];
  let api: ChildProcess | undefined;
  try {
    api = spawn(
      process.execPath,
      [resolve(root, "apiserver/dist/main.js"), "--etcd-servers", etcd.endpoint, "--listen", `127.0.0.1:${port}`, "--http-listen", `127.0.0.1:${httpPort}`, "--tls-cert", tls.cert, "--tls-key", tls.key, "--log-level", "warn",
        // No compaction round (a write of compact_rev_key every 5 minutes) during the run: every
        // revision etcd moves is then a request's.
        "--etcd-compaction-interval", "0"],
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
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const proc = api;
  const pid = proc.pid ?? 0;
  return {
    address: `127.0.0.1:${port}`,
    ca,
    grpcCredentials: () => credentials.createSsl(ca),
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
    async objectsWrittenSince(revision) {
      const b64 = (k: string) => Buffer.from(k).toString("base64");
      // Every object key sorts between "/registry/\x01" and "/registry0" (after the "\0" bookkeeping).
      const res = await fetch(`${etcd.endpoint}/v3/kv/range`, {
        method: "POST",
        body: JSON.stringify({ key: b64("/registry/\x01"), range_end: b64("/registry0"), min_mod_revision: String(revision + 1), keys_only: true }),
      });
      const body = (await res.json()) as { kvs?: { key: string }[] };
      return (body.kvs ?? []).map((kv) => Buffer.from(kv.key, "base64").toString());
    },
    async stop() {
      if (exits.length === 0) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (exits.length === 0) proc.kill("SIGKILL");
      }
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
