// Running the host's tools (ip, docker) with argument arrays: never a shell line.
import { execFile } from "node:child_process";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly result: ExecResult,
  ) {
    super(`${command} ${args.join(" ")}: ${result.stderr.trim() || `exit ${result.code}`}`);
    this.name = "CommandError";
  }
}

/** Runs command and returns its exit code and output; never throws for a non-zero exit. */
export function run(command: string, args: readonly string[], timeoutMs = 30_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(command, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && code !== 0 ? err.message : "")) });
    });
  });
}

/** Runs command and returns its stdout; a non-zero exit is a CommandError carrying stderr. */
export async function must(command: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await run(command, args, timeoutMs);
  if (r.code !== 0) throw new CommandError(command, args, r);
  return r.stdout;
}
