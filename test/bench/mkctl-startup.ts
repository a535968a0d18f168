// mkctl's start-up beside kubectl's and bare Node's, in one run (so they share the machine's load):
// each command N times, round-robin, median and min wall time, and how many files each loads
// (a module.registerHooks counter: every file: URL Node loads, ESM or CommonJS), and the CPU time
// each used (user + system, through /usr/bin/time): on a shared machine the wall time follows the
// load, the CPU time much less. `mkctl get pods`
// runs against a real API server on a native etcd, started here on loopback. Usage:
//   node test/dist/bench/mkctl-startup.js [--runs 15] [--baseline OTHER_CHECKOUT/kubectl/dist/main.js]
// --baseline adds the same mkctl commands from another build (e.g. the main branch), for before/after.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { emptyMeta, Pod } from "@mk/proto";
import { connect } from "@mk/proto/client";
import { freePort } from "../harness/etcd.js";
import { startNativeEtcd } from "../harness/etcd-native.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "15" }, baseline: { type: "string" } } });
const runs = Number(values.runs);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const MKCTL = join(root, "kubectl", "dist", "main.js");
const work = mkdtempSync(join(tmpdir(), "mkctl-bench-"));

// Counts the files Node loads, written at exit to the file MK_COUNT_FILE names.
const COUNTER = join(work, "count-modules.mjs");
writeFileSync(
  COUNTER,
  `import { registerHooks } from "node:module";
import { writeFileSync } from "node:fs";
const files = new Set();
registerHooks({ load(url, context, next) { if (url.startsWith("file:")) files.add(url); return next(url, context); } });
process.on("exit", () => writeFileSync(process.env.MK_COUNT_FILE, String(files.size)));
`,
);

interface Case {
  name: string;
  command: string;
  args: string[];
  /** Node programs get the module counter. */
  node: boolean;
}

const TIME = "/usr/bin/time";
const HAS_TIME = existsSync(TIME);

/** Wall and CPU (user + system) milliseconds of one run; CPU is NaN without /usr/bin/time. */
function timeOnce(c: Case, env: NodeJS.ProcessEnv): { wall: number; cpu: number } {
  const cpuFile = join(work, "cpu");
  const [command, args] = HAS_TIME ? [TIME, ["-f", "%U %S", "-o", cpuFile, c.command, ...c.args]] : [c.command, c.args];
  const t0 = performance.now();
  const res = spawnSync(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const wall = performance.now() - t0;
  if (res.status !== 0) throw new Error(`${c.name} exited ${res.status}: ${res.stderr.toString().trim()}`);
  const cpu = HAS_TIME ? readFileSync(cpuFile, "utf8").trim().split(/\s+/).reduce((sum, s) => sum + Number(s) * 1000, 0) : Number.NaN;
  return { wall, cpu };
}

function countModules(c: Case, env: NodeJS.ProcessEnv): number | undefined {
  if (!c.node) return undefined;
  const out = join(work, "count");
  const res = spawnSync(c.command, ["--import", COUNTER, ...c.args], { env: { ...env, MK_COUNT_FILE: out }, stdio: "ignore" });
  if (res.status !== 0) throw new Error(`${c.name} (counting modules) exited ${res.status}`);
  return Number(readFileSync(out, "utf8"));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

async function startApiServer(): Promise<{ server: string; stop(): Promise<void> }> {
  const etcd = await startNativeEtcd();
  const port = await freePort();
  const httpPort = await freePort();
  const api = spawn(
    process.execPath,
    [join(root, "apiserver/dist/main.js"), "--etcd-servers", etcd.endpoint, "--listen", `127.0.0.1:${port}`, "--http-listen", `127.0.0.1:${httpPort}`, "--log-level", "warn"],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const stop = async () => {
    api.kill("SIGTERM");
    await etcd.stop();
  };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok) break;
    } catch {
      // Not listening yet: try again below.
    }
    if (i > 200) {
      await stop();
      throw new Error("apiserver did not become ready");
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // A few pods, so `get pods` prints a table as a user would see it.
  const cs = connect({ server: `127.0.0.1:${port}` });
  for (let i = 0; i < 5; i++) {
    await cs.pods.create(Pod.fromPartial({ metadata: emptyMeta({ name: `web-${i}`, namespace: "default" }), spec: { containers: [{ name: "web", image: "mk/web:v1" }] } }));
  }
  cs.close();
  return { server: `127.0.0.1:${port}`, stop };
}

async function main(): Promise<void> {
  const api = await startApiServer();
  // No config file: mkctl and kubectl read nothing from the home directory.
  const env = { ...process.env, MK_CONFIG: join(work, "none"), KUBECONFIG: join(work, "none") };
  const node = process.execPath;
  const mkctlCases = (label: string, main: string): Case[] => [
    { name: `${label} --help`, command: node, args: [main, "--help"], node: true },
    { name: `${label} completion bash`, command: node, args: [main, "completion", "bash"], node: true },
    { name: `${label} version --client`, command: node, args: [main, "version", "--client"], node: true },
    { name: `${label} get pods`, command: node, args: [main, "--server", api.server, "get", "pods"], node: true },
  ];
  const cases: Case[] = [
    { name: "node -e 0", command: node, args: ["-e", "0"], node: true },
    { name: "kubectl version --client", command: "kubectl", args: ["version", "--client"], node: false },
    { name: "kubectl --help", command: "kubectl", args: ["--help"], node: false },
    { name: "kubectl completion bash", command: "kubectl", args: ["completion", "bash"], node: false },
    ...mkctlCases("mkctl", MKCTL),
    ...(values.baseline ? mkctlCases("baseline", resolve(values.baseline)) : []),
  ];
  try {
    // One untimed run each: the compile cache and the page cache are warm, as for a user's second command.
    for (const c of cases) timeOnce(c, env);
    const times = new Map(cases.map((c) => [c.name, [] as { wall: number; cpu: number }[]]));
    for (let r = 0; r < runs; r++) for (const c of cases) times.get(c.name)?.push(timeOnce(c, env));
    const load = loadavg().map((l) => l.toFixed(2)).join(" ");
    console.log(`${runs} runs each, round-robin; load average before: ${load}; node ${process.version}; ${spawnSync("kubectl", ["version", "--client"], { env }).stdout.toString().split("\n")[0]}`);
    console.log(`| command | wall median ms | wall min ms | CPU median ms | files loaded |`);
    console.log(`| --- | ---: | ---: | ---: | ---: |`);
    for (const c of cases) {
      const xs = times.get(c.name) ?? [];
      const wall = xs.map((x) => x.wall);
      const cpu = median(xs.map((x) => x.cpu));
      console.log(`| \`${c.name}\` | ${median(wall).toFixed(0)} | ${Math.min(...wall).toFixed(0)} | ${cpu.toFixed(0)} | ${countModules(c, env) ?? "–"} |`);
    }
    console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  } finally {
    await api.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
