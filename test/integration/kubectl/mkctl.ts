// Runs the built mkctl binary as a user would, against a test API server, with its own config file
// (so nothing from ~/.mk leaks in).
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const MAIN = join(REPO, "kubectl/dist/main.js");

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

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
    new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [MAIN, "--server", server, ...args], {
        env: { ...process.env, MK_CONFIG: join(configDir, "config") },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.on("error", reject);
      child.on("close", (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(input ?? "");
    });
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
