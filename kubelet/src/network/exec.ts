// Runs ip/iptables; a failure becomes a NetworkCommandError naming the command and its stderr.
import { execFile } from "node:child_process";

export class NetworkCommandError extends Error {
  constructor(command: string, args: string[], stderr: string, options?: ErrorOptions) {
    super(`${command} ${args.join(" ")}: ${stderr.trim() || "failed"}`, options);
    this.name = "NetworkCommandError";
  }
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && code !== 0 && !stderr ? err.message : "")) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export async function must(command: string, args: string[], input?: string): Promise<string> {
  const r = await run(command, args, input);
  if (r.code !== 0) throw new NetworkCommandError(command, args, r.stderr);
  return r.stdout;
}
