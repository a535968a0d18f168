// A TLS API server that Kubernetes' kubectl and mkctl both talk to (mk serves its HTTP API and
// gRPC on one address), through one kubeconfig written as `mkctl cluster up` writes it: the same
// argv can be run by both and the outputs compared.
import { execFile, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Clientset, connect } from "@mk/proto/client";
import { writeContext } from "@mk/kubectl/config.js";
import { initPki } from "@mk/kubectl/cluster/pki.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { runMkctl } from "../../harness/mkctl.js";
import { type Run, tempDir } from "./mkctl.js";

export const KUBECTL_MISSING: string | false =
  spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0 ? false : "kubectl is not on the PATH";

export interface BothEnv {
  api: TestApiServer;
  cs: Clientset;
  kubeconfig: string;
  dir: string;
  mkctl(args: string[], input?: string): Promise<Run>;
  kubectl(args: string[]): Promise<Run>;
  stop(): Promise<void>;
}

export async function startBothEnv(): Promise<BothEnv> {
  const dir = tempDir("mk-both-");
  const { pki } = await initPki({ dir: join(dir, "pki"), advertiseAddress: "127.0.0.1", tokenTtlSeconds: 60 });
  const api = await startTestApiServer({ tls: { cert: readFileSync(pki.apiserver.cert), key: readFileSync(pki.apiserver.key), clientCa: readFileSync(pki.ca.cert) } });
  const cs = connect({ server: api.address, tls: { ca: readFileSync(pki.ca.cert), cert: readFileSync(pki.admin.cert), key: readFileSync(pki.admin.key) }, timeoutMs: 10_000 });
  const kubeconfig = join(dir, "config");
  writeContext({ name: "both", server: api.address, certificateAuthority: pki.ca.cert, clientCertificate: pki.admin.cert, clientKey: pki.admin.key }, kubeconfig);
  const home = join(dir, "home");
  return {
    api,
    cs,
    kubeconfig,
    dir,
    mkctl: (args, input) => runMkctl(["--kubeconfig", kubeconfig, ...args], { env: { MK_CONFIG: kubeconfig }, stdin: input }),
    kubectl: (args) =>
      new Promise((resolve) => {
        // A home of its own: kubectl's discovery cache stays in the test's directory.
        execFile("kubectl", ["--kubeconfig", kubeconfig, ...args], { env: { ...process.env, HOME: home, KUBECONFIG: kubeconfig } }, (err, stdout, stderr) =>
          resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }),
        );
      }),
    stop: async () => {
      cs.close();
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A table with its ages masked and runs of spaces made one, for comparing two tools' tables. */
export function masked(table: string): string {
  return table.replace(/\b\d+(s|m|h|d)\d*(s|m)?\b/g, "AGE").replace(/ +/g, " ");
}
