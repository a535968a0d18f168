// Where the component binaries are: the workspace build beside mkctl, else `mk-NAME` on PATH.
// mkctl spawns them; it never imports them.
import { existsSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** How to run one binary: the command and the arguments that come before its own flags. */
export interface Binary {
  command: string;
  args: string[];
}

/**
 * Node's own flags per component. The API server allocates a short-lived object graph per request: an
 * 8 MB young-generation semi-space (V8's default is 16 MB on 64-bit) keeps each scavenge short and the
 * heap small — steady 500 creates/s p99 42 ms instead of 83–88 ms, the same sustained creates/s, and
 * less RSS (BENCHMARKS.md, API section). deploy/vm/systemd/mk-apiserver.service sets the same.
 */
export const NODE_FLAGS: Readonly<Record<string, readonly string[]>> = { apiserver: ["--max-semi-space-size=8"] };

/** Finds a component's entry point: the workspace build beside mkctl, else `mk-NAME` on PATH. */
export function resolveComponent(name: string): Binary | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  // kubectl/dist/cluster/binaries.js → <repo>/<name>/dist/main.js
  const local = resolve(here, "..", "..", "..", name, "dist", "main.js");
  if (existsSync(local)) return { command: process.execPath, args: [...(NODE_FLAGS[name] ?? []), local] };
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const bin = join(dir, `mk-${name}`);
    if (dir && existsSync(bin)) return { command: bin, args: [] };
  }
  return undefined;
}
