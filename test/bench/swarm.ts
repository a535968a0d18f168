// mk beside Docker Swarm and raw `docker run`, on the same Docker engine, in one run (issue 6,
// criterion 7). Prints one table; writes nothing else (temp dirs, containers, services and the swarm
// are removed before it exits).
//
//   node test/dist/bench/swarm.js [--only mk,swarm,raw] [--replicas 30] [--update 10] [--ones 3]
//
// Every "container started" and "container stopped" instant comes from one `docker events` stream
// (the engine's own timestamps), read the same way for the three systems:
//   - 0→1, 0→N: from the Create call (the CLI spawned: mkctl create deployment, docker service
//     create, docker run) to the start event of the last app container (mk and raw start a pause
//     container first; Swarm has none).
//   - rolling update / undo of --update replicas: from the CLI call to the first event after which
//     --update app containers of the new image are running and every app container of the old image
//     that ran at the call has stopped (its die event).
//   - killed container: from `docker kill` of one app container to the start event of a new app
//     container of the same workload.
//   - cluster start: mk `cluster up` (cold: a fresh MK_HOME; warm: stopped with its data) until it
//     returns and until both Nodes are Ready with a heartbeat from this start; Swarm `swarm init`
//     until `docker node ls` says Ready.
//   - idle RSS (VmRSS) of each mk process from state.json, beside a bare node on the same binary:
//     2 s after the warm start, and after the run (the 10-replica deployment left running, 10 s idle).
//   - rollovers also print their timeline (each new start, each old stop), the profile of a miss.
// Images go to Swarm by ID (its executor never pulls an image given by ID) and image pull events are
// counted: the run fails if any is seen.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import { rm } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LABEL_NODE_NAME, LABEL_POD_NAME, LABEL_TYPE, LocalCluster } from "../e2e/cluster.js";
import { eventually } from "../harness/wait.js";

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "mk,swarm,raw" },
    replicas: { type: "string", default: "30" },
    update: { type: "string", default: "10" },
    ones: { type: "string", default: "3" },
  },
});
const ONLY = new Set((values.only ?? "").split(","));
const MANY = Number(values.replicas);
const UPDATE = Number(values.update);
const ONES = Number(values.ones);
const RUN = `${process.pid}`;
const RAW_LABEL = "io.mk.bench.run";
const STEP_TIMEOUT = 300_000;

// ---- processes ----

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], timeoutMs = 120_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 16 << 20, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() || (err?.message ?? "") });
    });
  });
}

async function ok(cmd: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await run(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const docker = (args: readonly string[], timeoutMs?: number) => ok("docker", args, timeoutMs);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const lines = (s: string) => s.split("\n").filter((l) => l !== "");

// ---- the engine's events ----

interface Ev {
  type: string;
  action: string;
  id: string;
  /** ms since the epoch, from the engine's timeNano. */
  t: number;
  attrs: Record<string, string>;
}

interface RawEvent {
  Type?: string;
  Action?: string;
  id?: string;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

class Events {
  readonly all: Ev[] = [];
  private child: ChildProcess | undefined;
  private buf = "";
  private wake: (() => void) | undefined;

  async start(): Promise<void> {
    const child = spawn("docker", ["events", "--filter", "type=container", "--filter", "type=image", "--format", "{{json .}}"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.child = child;
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (d: string) => {
      this.buf += d;
      let nl = this.buf.indexOf("\n");
      while (nl >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        nl = this.buf.indexOf("\n");
        if (!line.trim()) continue;
        const e = JSON.parse(line) as RawEvent;
        this.all.push({
          type: e.Type ?? "",
          action: e.Action ?? "",
          id: e.Actor?.ID ?? e.id ?? "",
          t: (e.timeNano ?? 0) / 1e6,
          attrs: e.Actor?.Attributes ?? {},
        });
      }
      this.wake?.();
    });
    // The stream is live once it shows a container this run creates (and removes) for the purpose.
    const id = await docker(["create", "--label", `${RAW_LABEL}=${RUN}`, "mk/pause:1"]);
    await docker(["rm", id]);
    await this.until("the events stream", () => (this.all.some((e) => e.id === id && e.action === "create") ? true : undefined), 30_000);
  }

  stop(): void {
    this.child?.kill();
  }

  /** Calls probe after every event (and every 200 ms) until it returns a value. */
  async until<T>(what: string, probe: () => T | undefined, timeoutMs = STEP_TIMEOUT): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 200);
        this.wake = () => {
          clearTimeout(timer);
          r();
        };
      });
    }
  }

  /**
   * Pulls that would reach Docker Hub (a name without a registry host) or concern this run's images:
   * there must be none. Other tests on the engine pull from their own local registries
   * (127.0.0.1:PORT/…); those are counted apart.
   */
  pulls(): { bad: Ev[]; others: Ev[] } {
    const all = this.all.filter((e) => e.type === "image" && e.action === "pull");
    const hosted = (ref: string) => {
      const first = ref.split("/")[0] ?? "";
      return ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
    };
    const bad = all.filter((e) => !hosted(e.id) || versions.has(e.id) || /mk\/web|mk\/pause/.test(e.id));
    return { bad, others: all.filter((e) => !bad.includes(e)) };
  }
}

// ---- what a measurement needs to know of a workload ----

interface Workload {
  /** An app container of this workload (not a pause container). */
  isApp(e: Ev): boolean;
  /** Any container of this workload. */
  isAny(e: Ev): boolean;
  /** Ids of its running app containers. */
  runningApps(): Promise<string[]>;
  /** Ids of all its containers, running or not. */
  allContainers(): Promise<string[]>;
}

const versions = new Map<string, string>();
const versionOf = (e: Ev) => versions.get(e.attrs.image ?? "") ?? "?";

async function psIds(filters: readonly string[], all: boolean): Promise<string[]> {
  const args = ["ps", "--no-trunc", "--quiet", ...(all ? ["--all"] : [])];
  for (const f of filters) args.push("--filter", f);
  return lines(await docker(args));
}

function mkWorkload(nodes: readonly string[], deployment: string): Workload {
  const isAny = (e: Ev) => nodes.includes(e.attrs[LABEL_NODE_NAME] ?? "") && (e.attrs[LABEL_POD_NAME] ?? "").startsWith(`${deployment}-`);
  const list = async (all: boolean, type?: string) => {
    const out: string[] = [];
    for (const n of nodes) {
      const filters = [`label=${LABEL_NODE_NAME}=${n}`, ...(type ? [`label=${LABEL_TYPE}=${type}`] : [])];
      const args = ["ps", "--no-trunc", "--format", `{{.ID}} {{.Label "${LABEL_POD_NAME}"}}`, ...(all ? ["--all"] : [])];
      for (const f of filters) args.push("--filter", f);
      for (const l of lines(await docker(args))) {
        const [id, pod] = l.split(" ");
        if (id && pod?.startsWith(`${deployment}-`)) out.push(id);
      }
    }
    return out;
  };
  return {
    isAny,
    isApp: (e) => isAny(e) && e.attrs[LABEL_TYPE] === "container",
    runningApps: () => list(false, "container"),
    allContainers: () => list(true),
  };
}

function swarmWorkload(service: string): Workload {
  const label = "com.docker.swarm.service.name";
  const isAny = (e: Ev) => e.attrs[label] === service;
  return {
    isAny,
    isApp: isAny,
    runningApps: () => psIds([`label=${label}=${service}`], false),
    allContainers: () => psIds([`label=${label}=${service}`], true),
  };
}

function rawWorkload(name: string): Workload {
  const isAny = (e: Ev) => e.attrs[RAW_LABEL] === RUN && e.attrs["io.mk.bench.case"] === name;
  return {
    isAny,
    isApp: (e) => isAny(e) && e.attrs["io.mk.bench.role"] === "app",
    runningApps: () => psIds([`label=${RAW_LABEL}=${RUN}`, `label=io.mk.bench.case=${name}`, "label=io.mk.bench.role=app"], false),
    allContainers: () => psIds([`label=${RAW_LABEL}=${RUN}`, `label=io.mk.bench.case=${name}`], true),
  };
}

// ---- measurements ----

interface Timing {
  /** ms from the call to the end (as defined per measurement). */
  ms: number;
  /** ms from the call to the first container of the workload started (the control plane's part). */
  firstMs: number;
  /** ms until the CLI returned. */
  cliMs: number;
  /** A rollover's events, in s after the call: +N new app container started, −N old one stopped. */
  timeline?: string;
}

/** Starts `action` and waits until `n` distinct app containers of `w` have started since. */
async function timeStarts(ev: Events, w: Workload, n: number, action: () => Promise<unknown>): Promise<Timing> {
  const i0 = ev.all.length;
  const t0 = Date.now();
  let cliMs = Number.NaN;
  const cli = action().then(() => {
    cliMs = Date.now() - t0;
  });
  const r = await ev.until(`${n} app containers started`, () => {
    const seen = new Set<string>();
    let first = Number.NaN;
    for (let i = i0; i < ev.all.length; i++) {
      const e = ev.all[i];
      if (e?.action !== "start" || !w.isAny(e)) continue;
      if (Number.isNaN(first)) first = e.t;
      if (!w.isApp(e)) continue;
      seen.add(e.id);
      if (seen.size >= n) return { ms: e.t - t0, firstMs: first - t0 };
    }
    return undefined;
  });
  await cli;
  return { ...r, cliMs };
}

/**
 * Starts `action` and waits for the first event after which `n` app containers of version `to`
 * started since the call are running and every app container running at the call has stopped.
 */
async function timeRollover(ev: Events, w: Workload, n: number, to: string, action: () => Promise<unknown>): Promise<Timing> {
  const before = new Set(await w.runningApps());
  if (before.size !== n) throw new Error(`expected ${n} running app containers before the rollout, found ${before.size}`);
  const i0 = ev.all.length;
  const t0 = Date.now();
  let cliMs = Number.NaN;
  const cli = action().then(() => {
    cliMs = Date.now() - t0;
  });
  const r = await ev.until(`${n} × ${to} running and the old ones stopped`, () => {
    const old = new Set(before);
    const fresh = new Set<string>();
    const steps: string[] = [];
    let first = Number.NaN;
    for (let i = i0; i < ev.all.length; i++) {
      const e = ev.all[i];
      if (!e || !w.isAny(e)) continue;
      if (e.action === "start" && Number.isNaN(first)) first = e.t;
      if (!w.isApp(e)) continue;
      const at = ((e.t - t0) / 1000).toFixed(1);
      if (e.action === "start" && !before.has(e.id) && versionOf(e) === to) {
        fresh.add(e.id);
        steps.push(`+${at}`);
      } else if (e.action === "die") {
        if (old.delete(e.id)) steps.push(`−${at}`);
        fresh.delete(e.id);
      } else continue;
      if (old.size === 0 && fresh.size >= n) return { ms: e.t - t0, firstMs: first - t0, timeline: steps.join(" ") };
    }
    return undefined;
  });
  await cli;
  return { ...r, cliMs };
}

/** Kills one running app container and waits for a new app container of the workload to start. */
async function timeKill(ev: Events, w: Workload): Promise<Timing> {
  const before = new Set(await w.runningApps());
  const victim = [...before][0];
  if (!victim) throw new Error("no running app container to kill");
  const i0 = ev.all.length;
  const t0 = Date.now();
  await docker(["kill", victim]);
  const cliMs = Date.now() - t0;
  const ms = await ev.until("a replacement app container", () => {
    for (let i = i0; i < ev.all.length; i++) {
      const e = ev.all[i];
      if (e && e.action === "start" && w.isApp(e) && !before.has(e.id)) return e.t - t0;
    }
    return undefined;
  });
  return { ms, firstMs: ms, cliMs };
}

/** Waits until a workload has no container left (after its delete). */
async function waitGone(w: Workload, what: string): Promise<void> {
  await eventually(`${what}: no container left`, async () => (await w.allContainers()).length === 0, STEP_TIMEOUT, { everyMs: 250 });
}

/** Waits until every running container of the workload has its app running (n of them). */
async function waitRunning(w: Workload, n: number, what: string): Promise<void> {
  await eventually(`${what}: ${n} running app containers`, async () => (await w.runningApps()).length === n, STEP_TIMEOUT, { everyMs: 250 });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
};

// ---- the table ----

interface Row {
  what: string;
  mk?: Timing | undefined;
  swarm?: Timing | undefined;
  raw?: Timing | undefined;
  note?: string;
}
const rows: Row[] = [];
function row(what: string): Row {
  let r = rows.find((x) => x.what === what);
  if (!r) {
    r = { what };
    rows.push(r);
  }
  return r;
}
const s = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? "–" : `${(ms / 1000).toFixed(2)} s`);
const log = (line: string) => process.stderr.write(`# ${line}\n`);

// ---- raw docker ----

async function rawPods(ev: Events, name: string, n: number): Promise<Timing> {
  const w = rawWorkload(name);
  const labels = ["--label", `${RAW_LABEL}=${RUN}`, "--label", `io.mk.bench.case=${name}`];
  const pod = async (i: number) => {
    const pause = await docker(["run", "-d", "--init", ...labels, "--label", "io.mk.bench.role=pause", "--name", `mkbench_${RUN}_${name}_${i}_pause`, "mk/pause:1"]);
    await docker([
      "run",
      "-d",
      "--init",
      ...labels,
      "--label",
      "io.mk.bench.role=app",
      "--name",
      `mkbench_${RUN}_${name}_${i}_web`,
      "--network",
      `container:${pause}`,
      "mk/web:v1",
    ]);
  };
  try {
    return await timeStarts(ev, w, n, () => Promise.all(Array.from({ length: n }, (_, i) => pod(i))));
  } finally {
    const ids = await w.allContainers();
    if (ids.length > 0) await docker(["rm", "--force", ...ids]);
  }
}

async function benchRaw(ev: Events): Promise<void> {
  const ones: Timing[] = [];
  for (let i = 0; i < ONES; i++) ones.push(await rawPods(ev, `one${i}`, 1));
  row("0→1").raw = pick(ones);
  row(`0→${MANY}`).raw = await rawPods(ev, "many", MANY);
}

/** The median run (by total time) of several. */
function pick(ts: Timing[]): Timing | undefined {
  const m = median(ts.map((t) => t.ms));
  return ts.find((t) => t.ms === m);
}

// ---- swarm ----

async function benchSwarm(ev: Events, v1: string, v2: string): Promise<void> {
  const state = await docker(["info", "--format", "{{.Swarm.LocalNodeState}}"]);
  if (state !== "inactive") throw new Error(`this engine's swarm is ${state}: not this benchmark's to use or leave`);
  // swarm init makes docker_gwbridge and leave keeps it: removed after, unless it was there before.
  const hadGwbridge = (await run("docker", ["network", "inspect", "docker_gwbridge"])).code === 0;
  const services: string[] = [];
  const svc = (name: string) => {
    const full = `mkbench${RUN}-${name}`;
    services.push(full);
    return full;
  };
  const create = (name: string, replicas: number) =>
    docker(["service", "create", "--detach", "--no-resolve-image", "--init", "--name", name, "--replicas", String(replicas), v1]);
  const remove = async (name: string) => {
    await docker(["service", "rm", name]);
    await waitGone(swarmWorkload(name), name);
  };
  try {
    const t0 = Date.now();
    await docker(["swarm", "init", "--advertise-addr", "127.0.0.1"]);
    const cliMs = Date.now() - t0;
    for (;;) {
      if ((await docker(["node", "ls", "--format", "{{.Status}}"])) === "Ready") break;
      await sleep(50);
    }
    row("cluster start to Ready (mk cold: fresh data; Swarm: swarm init)").swarm = { ms: Date.now() - t0, firstMs: Number.NaN, cliMs };
    log("swarm ready");

    const ones: Timing[] = [];
    for (let i = 0; i < ONES; i++) {
      const name = svc(`one${i}`);
      ones.push(await timeStarts(ev, swarmWorkload(name), 1, () => create(name, 1)));
      await remove(name);
    }
    row("0→1").swarm = pick(ones);
    log("swarm 0→1 done");

    const many = svc("many");
    row(`0→${MANY}`).swarm = await timeStarts(ev, swarmWorkload(many), MANY, () => create(many, MANY));
    await remove(many);
    log(`swarm 0→${MANY} done`);

    const roll = svc("roll");
    const w = swarmWorkload(roll);
    await create(roll, UPDATE);
    await waitRunning(w, UPDATE, roll);
    await sleep(1000);
    row(`${UPDATE}-replica rolling update v1→v2`).swarm = await timeRollover(ev, w, UPDATE, "v2", () =>
      docker(["service", "update", "--detach", "--no-resolve-image", "--image", v2, roll]),
    );
    log("swarm update done");
    await waitRunning(w, UPDATE, roll);
    await sleep(1000);
    row(`${UPDATE}-replica undo (v2→v1)`).swarm = await timeRollover(ev, w, UPDATE, "v1", () => docker(["service", "rollback", "--detach", roll]));
    log("swarm rollback done");
    await waitRunning(w, UPDATE, roll);
    await sleep(1000);
    row("killed container running again").swarm = await timeKill(ev, w);
    log("swarm kill done");
    // The killed task's "non-zero exit (137)" is expected; an image error would mean a pull attempt.
    const errors = lines(await docker(["service", "ps", "--no-trunc", "--format", "{{.Error}}", roll])).filter((l) => /image|pull|manifest|registry/i.test(l));
    if (errors.length > 0) throw new Error(`swarm task errors: ${errors.join("; ")}`);
  } finally {
    for (const name of services) await run("docker", ["service", "rm", name]);
    const left = await run("docker", ["swarm", "leave", "--force"]);
    if (left.code !== 0) log(`swarm leave: ${left.stderr}`);
    if (!hadGwbridge) await run("docker", ["network", "rm", "docker_gwbridge"]);
    for (const name of services) {
      const ids = await swarmWorkload(name).allContainers();
      if (ids.length > 0) await run("docker", ["rm", "--force", ...ids]);
    }
  }
}

// ---- mk ----

interface NodeReady {
  metadata?: { name?: string };
  status?: { conditions: { type: string; status: string; lastHeartbeatTime: string }[] };
}

/** Both nodes Ready, with a heartbeat at or after `since` (a warm start finds the old Ready). */
async function nodesReady(cluster: LocalCluster, since: number): Promise<void> {
  const cs = cluster.client();
  // A probe that throws is retried: the API server may still be starting.
  await eventually("both nodes Ready with a fresh heartbeat", async () => {
    const items = (await cs.nodes.list({})).items as NodeReady[];
    const ready = items.filter((n) =>
      n.status?.conditions.some((c) => c.type === "Ready" && c.status === "True" && Date.parse(c.lastHeartbeatTime) >= Math.floor(since / 1000) * 1000),
    );
    return cluster.nodes.every((name) => ready.some((n) => n.metadata?.name === name));
  }, 120_000, { everyMs: 50 });
}

/** VmRSS, and its anonymous (heaps) and file-backed (the node binary, shared) parts, in kB. */
function rssKb(pid: number): { kb: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { kb: field("VmRSS"), anon: field("RssAnon"), file: field("RssFile") };
}

interface Rss {
  name: string;
  pid: number;
  kb: number;
  anon: number;
  file: number;
}

async function idleRss(cluster: LocalCluster): Promise<{ components: Rss[]; bare: Rss; nodeBin: string }> {
  const state = JSON.parse(readFileSync(join(cluster.home, "cluster", "state.json"), "utf8")) as {
    supervisorPid: number;
    components: { name: string; pid: number }[];
  };
  const kubelet = (name: string) => (cluster.nodes.includes(name) ? `kubelet ${name}` : name);
  const components: Rss[] = [
    { name: "supervisor (mkctl)", pid: state.supervisorPid, kb: 0, anon: 0, file: 0 },
    ...state.components.map((c) => ({ name: kubelet(c.name), pid: c.pid, kb: 0, anon: 0, file: 0 })),
  ];
  // A bare node on the same binary the components run on.
  const api = state.components.find((c) => c.name === "apiserver");
  const nodeBin = api ? readlinkSync(`/proc/${api.pid}/exe`) : process.execPath;
  const bare = spawn(nodeBin, ["-e", "setInterval(()=>{},1e9)"], { stdio: "ignore" });
  try {
    await sleep(3000);
    for (const c of components) Object.assign(c, rssKb(c.pid));
    if (!bare.pid) throw new Error("the bare node did not start");
    return { components, bare: { name: "bare node", pid: bare.pid, ...rssKb(bare.pid) }, nodeBin };
  } finally {
    bare.kill();
  }
}

type IdleRss = Awaited<ReturnType<typeof idleRss>>;

async function benchMk(ev: Events): Promise<{ start: IdleRss; end: IdleRss }> {
  const cluster = await LocalCluster.create({ name: "bench" });
  const deployments: string[] = [];
  const ok1 = async (args: readonly string[]) => {
    const r = await cluster.mkctl(args);
    if (r.code !== 0) throw new Error(`mkctl ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const create = (name: string, n: number) => {
    deployments.push(name);
    return ok1(["create", "deployment", name, "--image=mk/web:v1", `--replicas=${n}`]);
  };
  const remove = async (name: string) => {
    await ok1(["delete", "deployment", name, "--timeout=120s"]);
    await waitGone(mkWorkload(cluster.nodes, name), name);
  };
  const up = async (what: string) => {
    const t0 = Date.now();
    const r = await cluster.up();
    if (r.code !== 0) throw new Error(`cluster up exited ${r.code}: ${r.stderr}`);
    const cliMs = Date.now() - t0;
    await nodesReady(cluster, t0);
    row(what).mk = { ms: Date.now() - t0, firstMs: Number.NaN, cliMs };
  };
  try {
    await up("cluster start to Ready (mk cold: fresh data; Swarm: swarm init)");
    log("mk cold start done");
    const down = await cluster.mkctl(["cluster", "down"]);
    if (down.code !== 0) throw new Error(`cluster down: ${down.stderr}`);
    await up("cluster start to Ready, warm (mk: stopped, with data)");
    log("mk warm start done");
    await sleep(2000);
    const start = await idleRss(cluster);

    const ones: Timing[] = [];
    for (let i = 0; i < ONES; i++) {
      const name = `one${i}`;
      ones.push(await timeStarts(ev, mkWorkload(cluster.nodes, name), 1, () => create(name, 1)));
      await remove(name);
    }
    row("0→1").mk = pick(ones);
    log("mk 0→1 done");

    row(`0→${MANY}`).mk = await timeStarts(ev, mkWorkload(cluster.nodes, "many"), MANY, () => create("many", MANY));
    await remove("many");
    log(`mk 0→${MANY} done`);

    const w = mkWorkload(cluster.nodes, "roll");
    await create("roll", UPDATE);
    await waitRunning(w, UPDATE, "roll");
    await sleep(1000);
    row(`${UPDATE}-replica rolling update v1→v2`).mk = await timeRollover(ev, w, UPDATE, "v2", () => ok1(["set", "image", "deployment/roll", "web=mk/web:v2"]));
    log("mk update done");
    await waitRunning(w, UPDATE, "roll");
    await sleep(1000);
    row(`${UPDATE}-replica undo (v2→v1)`).mk = await timeRollover(ev, w, UPDATE, "v1", () => ok1(["rollout", "undo", "deployment/roll"]));
    log("mk undo done");
    await waitRunning(w, UPDATE, "roll");
    await sleep(1000);
    row("killed container running again").mk = await timeKill(ev, w);
    log("mk kill done");

    // Idle: the 10-pod deployment left running, nothing changing for 10 s.
    await sleep(10_000);
    return { start, end: await idleRss(cluster) };
  } finally {
    for (const d of deployments) await cluster.mkctl(["delete", "deployment", d, "--ignore-not-found", "--timeout=60s"]);
    await cluster.stop();
    await rm(cluster.home, { recursive: true, force: true });
  }
}

// ---- main ----

async function main(): Promise<void> {
  const v1 = await docker(["image", "inspect", "-f", "{{.Id}}", "mk/web:v1"]);
  const v2 = await docker(["image", "inspect", "-f", "{{.Id}}", "mk/web:v2"]);
  for (const [ref, v] of [
    ["mk/web:v1", "v1"],
    [v1, "v1"],
    [v1.replace(/^sha256:/, ""), "v1"],
    ["mk/web:v2", "v2"],
    [v2, "v2"],
    [v2.replace(/^sha256:/, ""), "v2"],
  ] as const) {
    versions.set(ref, v);
  }
  // The table's order.
  row("cluster start to Ready (mk cold: fresh data; Swarm: swarm init)");
  row("cluster start to Ready, warm (mk: stopped, with data)");
  row("0→1");
  row(`0→${MANY}`);
  const load0 = loadavg();
  const t0 = Date.now();
  const ev = new Events();
  await ev.start();
  let rssBoth: { start: IdleRss; end: IdleRss } | undefined;
  try {
    if (ONLY.has("raw")) await benchRaw(ev);
    if (ONLY.has("swarm")) await benchSwarm(ev, v1, v2);
    if (ONLY.has("mk")) rssBoth = await benchMk(ev);
  } finally {
    ev.stop();
    const left = await psIds([`label=${RAW_LABEL}=${RUN}`], true);
    if (left.length > 0) await run("docker", ["rm", "--force", ...left]);
  }
  const pulls = ev.pulls();
  const load1 = loadavg();

  const cpu = cpus()[0]?.model ?? "?";
  console.log(`machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; docker ${await docker(["version", "--format", "{{.Server.Version}}"])}`);
  console.log(`load average at start ${load0.map((x) => x.toFixed(2)).join(" ")}, at end ${load1.map((x) => x.toFixed(2)).join(" ")}; run took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  console.log(
    `image pulls from Docker Hub or of this run's images: ${pulls.bad.length}${pulls.bad.length ? ` (${pulls.bad.map((p) => p.id).join(", ")})` : ""}; other tests' pulls from local registries meanwhile: ${pulls.others.length}`,
  );
  console.log("");
  console.log("| measurement | mk | Swarm | raw docker run | mk / Swarm | mk / raw |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) {
    const cell = (t: Timing | undefined) => {
      if (!t) return "–";
      const extra = [!Number.isNaN(t.firstMs) ? `first ${s(t.firstMs)}` : "", !Number.isNaN(t.cliMs) ? `CLI ${s(t.cliMs)}` : ""].filter(Boolean).join(", ");
      return `${s(t.ms)}${extra ? ` (${extra})` : ""}`;
    };
    const ratio = (a?: Timing, b?: Timing) => (a && b ? `${(a.ms / b.ms).toFixed(2)}×` : "–");
    console.log(`| ${r.what} | ${cell(r.mk)} | ${cell(r.swarm)} | ${cell(r.raw)} | ${ratio(r.mk, r.swarm)} | ${ratio(r.mk, r.raw)} |`);
  }
  const timelines = rows.flatMap((r) =>
    (["mk", "swarm"] as const).flatMap((sys) => {
      const t = r[sys]?.timeline;
      return t ? [`- ${r.what}, ${sys === "mk" ? "mk" : "Swarm"}: ${t}`] : [];
    }),
  );
  if (timelines.length > 0) {
    console.log("");
    console.log("rollover timelines (s after the call; +: a new app container started, −: an old one stopped):");
    for (const l of timelines) console.log(l);
  }
  const rss = rssBoth?.end;
  if (rss) {
    const startKb = (name: string) => rssBoth?.start.components.find((c) => c.name === name)?.kb ?? Number.NaN;
    console.log("");
    const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
    console.log(`idle RSS (/proc/PID/status; bare node: \`${rss.nodeBin} -e 'setInterval(()=>{},1e9)'\`)`);
    console.log("");
    console.log("| process | VmRSS after start | VmRSS idle after the run | over bare node | RssAnon (heaps) | RssFile (binary) |");
    console.log("|---|---|---|---|---|---|");
    for (const c of [rss.bare, ...rss.components]) {
      const over = c === rss.bare ? "" : c.name === "etcd" ? "(not node)" : `+${mb(c.kb - rss.bare.kb)}`;
      const first = c === rss.bare ? (rssBoth?.start.bare.kb ?? Number.NaN) : startKb(c.name);
      console.log(`| ${c.name} | ${mb(first)} | ${mb(c.kb)} | ${over} | ${mb(c.anon)} | ${mb(c.file)} |`);
    }
  }
  console.log("");
  console.log("goals:");
  const goal = (what: string, a: Timing | undefined, b: Timing | undefined, limit: number) => {
    if (!a || !b) return;
    const r = a.ms / b.ms;
    console.log(`- ${what} ≤ ${limit}×: ${r.toFixed(2)}× — ${r <= limit ? "met" : "MISSED"}`);
  };
  const r1 = row("0→1");
  const rn = row(`0→${MANY}`);
  goal("1 replica, mk / Swarm", r1.mk, r1.swarm, 1.5);
  goal(`${MANY} replicas, mk / Swarm`, rn.mk, rn.swarm, 1.5);
  goal(`${MANY} replicas, mk / raw docker run`, rn.mk, rn.raw, 1.2);
  goal("rolling update, mk / Swarm", row(`${UPDATE}-replica rolling update v1→v2`).mk, row(`${UPDATE}-replica rolling update v1→v2`).swarm, 0.3);
  goal("undo, mk / Swarm", row(`${UPDATE}-replica undo (v2→v1)`).mk, row(`${UPDATE}-replica undo (v2→v1)`).swarm, 0.3);
  goal("killed container back, mk / Swarm", row("killed container running again").mk, row("killed container running again").swarm, 0.5);
  if (rss) {
    for (const c of rss.components) {
      if (c.name === "etcd") continue;
      const over = (c.kb - rss.bare.kb) / 1024;
      console.log(`- ${c.name} ≤ bare node + 60 MB: +${over.toFixed(1)} MB — ${over <= 60 ? "met" : "MISSED"}`);
    }
  }
  if (pulls.bad.length > 0) process.exitCode = 1;
}

await main();
