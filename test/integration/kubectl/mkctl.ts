// Runs the built mkctl binary as a user would, against a test API server, with its own config file
// (so nothing from ~/.mk leaks in).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Clientset, connect } from "@mk/proto/client";
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
