// Runs the built mkctl binary as a user would: its own process, environment and standard input.
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const MKCTL = resolve(REPO, "kubectl", "dist", "main.js");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** env is added to this process's; signal kills mkctl (a test whose time is up stops waiting for it). */
export function runMkctl(args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string; signal?: AbortSignal } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MKCTL, ...args], { env: { ...process.env, ...opts.env }, cwd: REPO, signal: opts.signal });
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
    child.stdin.end(opts.stdin ?? "");
  });
}
