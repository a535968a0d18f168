// How long `mkctl cluster init` takes to make a cluster's PKI (a CA and seven certificates, made
// in-process by @mk/proto/pki): median and worst of N runs, each in a fresh directory. Usage:
//   node test/dist/bench/pki.js [--runs 5]
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { initPki } from "@mk/kubectl/cluster/pki.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const times: number[] = [];
for (let i = 0; i < Number(values.runs); i++) {
  const dir = mkdtempSync(join(tmpdir(), "mk-bench-pki-"));
  const started = performance.now();
  await initPki({ dir, advertiseAddress: "127.0.0.1", tokenTtlSeconds: 60 });
  times.push(performance.now() - started);
  rmSync(dir, { recursive: true, force: true });
}
times.sort((a, b) => a - b);
const ms = (t: number | undefined) => `${Math.round(t ?? 0)} ms`;
console.log(`initPki: median ${ms(times[Math.floor(times.length / 2)])}, worst ${ms(times.at(-1))} of ${times.length} (load ${loadavg()[0]?.toFixed(1)})`);
