// Reads deploy/vm's systemd units and environment files the way systemd does, for the VM tests:
// ExecStart's continuation lines joined, `${VAR}` replaced inside a word, a lone `$VAR` split at
// whitespace (and dropped when unset), EnvironmentFile's KEY=VALUE lines with optional quotes.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../../harness/mkctl.js";

export interface Unit {
  name: string;
  /** Each key's values in order (EnvironmentFile may repeat). */
  keys: Map<string, string[]>;
  /** ExecStart as words, before variables are expanded. */
  execStart: string[];
}

export function readUnit(path: string): Unit {
  const text = readFileSync(path, "utf8").replace(/\\\n/g, " ");
  const keys = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) keys.set(m[1], [...(keys.get(m[1]) ?? []), m[2].trim()]);
  }
  const exec = keys.get("ExecStart");
  if (exec?.length !== 1 || !exec[0]) throw new Error(`${path}: want exactly one ExecStart`);
  // Quotes would need systemd's quoting rules; the units use none, and this keeps it that way.
  if (/["'\\]/.test(exec[0])) throw new Error(`${path}: ExecStart has quotes or escapes this reader does not handle`);
  return { name: path.split("/").pop() ?? path, keys, execStart: exec[0].split(/\s+/).filter((w) => w !== "") };
}

export function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m?.[1] || m[2] === undefined) continue;
    env[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  }
  return env;
}

/** ExecStart with env applied, as systemd would run it. */
export function expandExecStart(words: string[], env: Record<string, string>): string[] {
  const out: string[] = [];
  for (const w of words) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(w);
    if (whole?.[1]) {
      out.push(...(env[whole[1]] ?? "").split(/\s+/).filter((s) => s !== ""));
      continue;
    }
    out.push(w.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, k: string) => env[k] ?? ""));
  }
  return out;
}

/** The `--flag` words of a command line (`--flag=value` counts as --flag). */
export function flagsOf(words: string[]): string[] {
  return words.filter((w) => w.startsWith("--")).map((w) => w.split("=")[0] ?? w);
}

/** Every `--flag` a --help text mentions, "--a/--b" counted as both. */
export function flagsInHelp(help: string): Set<string> {
  return new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? []);
}

/** /usr/local/bin/mk-apiserver → node <repo>/apiserver/dist/main.js; /usr/bin/etcd → etcd on PATH. */
export function resolveCommand(path: string): string[] {
  const name = path.split("/").pop() ?? path;
  const root = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { workspaces: string[] };
  for (const ws of root.workspaces) {
    const pkg = JSON.parse(readFileSync(join(REPO, ws, "package.json"), "utf8")) as { bin?: Record<string, string> };
    const file = pkg.bin?.[name];
    if (file) return [process.execPath, join(REPO, ws, file)];
  }
  return [name];
}

/**
 * A unit's command line and environment as systemd would run them: its EnvironmentFile(s) read from
 * `etc` (standing for /etc/mk; a leading '-' makes one optional), ExecStart expanded, /etc/mk/ paths
 * mapped to `etc`, and its binary resolved to this checkout's build.
 */
export function unitCommand(unitFile: string, etc: string, extraEnv: Record<string, string> = {}): { argv: string[]; env: Record<string, string> } {
  const u = readUnit(unitFile);
  const env: Record<string, string> = { ...extraEnv };
  for (const f of u.keys.get("EnvironmentFile") ?? []) {
    const optional = f.startsWith("-");
    const path = join(etc, f.replace(/^-/, "").replace(/^\/etc\/mk\//, ""));
    if (optional && !existsSync(path)) continue;
    Object.assign(env, readEnvFile(path));
  }
  const [bin, ...args] = expandExecStart(u.execStart, env).map((a) => a.replace(/^\/etc\/mk\//, `${etc}/`));
  return { argv: [...resolveCommand(bin ?? ""), ...args], env };
}
