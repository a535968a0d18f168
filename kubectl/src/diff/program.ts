// The program kubectl diff runs on its two directories (k8s.io/kubectl/pkg/cmd/diff DiffProgram):
// `diff -u -N LIVE MERGED`, or KUBECTL_EXTERNAL_DIFF's first word with its later words that are
// plain flags (letters, digits, '-' and '='; anything else is dropped, as kubectl drops it) after the
// two directories. Its output goes straight to ours; its exit code is returned.
import { spawnSync } from "node:child_process";
import { CliError } from "../cli-error.js";

export function diffCommand(from: string, to: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const external = env.KUBECTL_EXTERNAL_DIFF ?? "";
  if (external === "") return ["diff", "-u", "-N", from, to];
  const [program = "", ...words] = external.split(" ");
  return [program, from, to, ...words.filter((w) => /^[a-zA-Z0-9-=]+$/.test(w))];
}

/** Runs the diff program; its exit code (0 same, 1 different, more: its own trouble). */
export function runDiff(from: string, to: string): number {
  const [program = "diff", ...args] = diffCommand(from, to);
  const res = spawnSync(program, args, { stdio: ["ignore", "inherit", "inherit"] });
  if (res.error) throw new CliError(`failed to run "${program}": ${(res.error as NodeJS.ErrnoException).code === "ENOENT" ? `exec: "${program}": executable file not found in $PATH` : res.error.message}`);
  return res.status ?? 2;
}
