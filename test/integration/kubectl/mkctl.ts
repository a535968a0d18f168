// Runs the built mkctl binary as a user would, against a test API server, with its own config file
// (so nothing from ~/.mk leaks in).
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type CertFiles, initPki } from "@mk/kubectl/cluster/pki.js";
import { type Clientset, connect } from "@mk/proto/client";
import { stringify } from "yaml";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { type RunResult, runMkctl } from "../../harness/mkctl.js";

export { REPO } from "../../harness/mkctl.js";
export type Run = RunResult;

export function tempDir(prefix = "mkctl-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeTemp(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export function mkctlFor(server: string, configDir = tempDir()) {
  return (args: string[], input?: string): Promise<Run> =>
    runMkctl(["--server", server, ...args], { env: { MK_CONFIG: join(configDir, "config") }, stdin: input });
}

export const WEB_NO_REPLICAS = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: mk/web:v1
        ports:
        - containerPort: 8080
`;

/** A test API server, a client of it and the mkctl binary pointed at it: one per test file. */
export interface MkctlEnv {
  api: TestApiServer;
  cs: Clientset;
  mkctl: (args: string[], input?: string) => Promise<Run>;
  stop(): Promise<void>;
}

/** With `kubectl`: the same server over TLS, and Kubernetes' kubectl 1.32 beside mkctl, both on one kubeconfig. */
export interface KubectlEnv extends MkctlEnv {
  /** `env`: added to kubectl's environment (EDITOR for edit, KUBECTL_EXTERNAL_DIFF for diff). */
  kubectl: (args: string[], env?: NodeJS.ProcessEnv) => Promise<Run>;
  mkctlWith: (args: string[], env: NodeJS.ProcessEnv, input?: string) => Promise<Run>;
  /** The test PKI's CA (to issue other users' certificates: a node's). */
  ca: CertFiles;
  /** Both tools on a kubeconfig of their own with another user's client certificate. */
  as: (user: CertFiles) => { mkctl: (args: string[]) => Promise<Run>; kubectl: (args: string[]) => Promise<Run> };
}

/** kubectl 1.32: beside the kubectl on the PATH (google-cloud-sdk keeps kubectl.1.NN there). */
export function kubectl132(): string {
  const onPath = execFileSync("bash", ["-c", "command -v kubectl"], { encoding: "utf8" }).trim();
  const binary = join(dirname(realpathSync(onPath)), "kubectl.1.32");
  if (!existsSync(binary)) throw new Error(`kubectl 1.32 is missing: ${binary}`);
  return binary;
}

function runBinary(binary: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolvePromise) => {
    execFile(binary, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/**
 * A TLS API server (a fresh PKI), one kubeconfig with the admin's certificate, mkctl and kubectl 1.32
 * reading it: the same commands through both, for comparing what they print. Fails when kubectl 1.32
 * is missing (never skips).
 */
export async function startKubectlEnv(): Promise<KubectlEnv> {
  const binary = kubectl132();
  const dir = tempDir("mk-kubectl-env-");
  const { pki } = await initPki({ dir: join(dir, "pki"), advertiseAddress: "127.0.0.1", tokenTtlSeconds: 60 });
  const api = await startTestApiServer({ tls: { cert: readFileSync(pki.apiserver.cert), key: readFileSync(pki.apiserver.key), clientCa: readFileSync(pki.ca.cert) } });
  const configFor = (name: string, user: CertFiles) =>
    writeTemp(
      dir,
      name,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "test", cluster: { server: `https://${api.address}`, "certificate-authority": pki.ca.cert } }],
        users: [{ name: "user", user: { "client-certificate": user.cert, "client-key": user.key } }],
        contexts: [{ name: "test", context: { cluster: "test", user: "user", namespace: "default" } }],
        "current-context": "test",
      }),
    );
  const config = configFor("config", pki.admin);
  let users = 0;
  const cs = connect({ server: api.address, tls: { ca: readFileSync(pki.ca.cert), cert: readFileSync(pki.admin.cert), key: readFileSync(pki.admin.key) }, timeoutMs: 10_000 });
  const cacheDir = join(dir, "cache");
  return {
    api,
    cs,
    mkctl: (args, input) => runMkctl(args, { env: { MK_CONFIG: config }, stdin: input }),
    mkctlWith: (args, extra, input) => runMkctl(args, { env: { MK_CONFIG: config, ...extra }, stdin: input }),
    kubectl: (args, extra = {}) => runBinary(binary, [...args, "--cache-dir", cacheDir, "--request-timeout", "30s"], { PATH: process.env.PATH ?? "", HOME: dir, KUBECONFIG: config, ...extra }),
    ca: pki.ca,
    as: (user) => {
      const other = configFor(`config-${++users}`, user);
      return {
        mkctl: (args) => runMkctl(args, { env: { MK_CONFIG: other } }),
        kubectl: (args) => runBinary(binary, [...args, "--cache-dir", join(dir, `cache-${users}`), "--request-timeout", "30s"], { PATH: process.env.PATH ?? "", HOME: dir, KUBECONFIG: other }),
      };
    },
    stop: async () => {
      cs.close();
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startMkctlEnv(): Promise<MkctlEnv> {
  const api = await startTestApiServer();
  const cs = connect({ server: api.address });
  return {
    api,
    cs,
    mkctl: mkctlFor(api.address),
    stop: async () => {
      cs.close();
      await api.stop();
    },
  };
}
