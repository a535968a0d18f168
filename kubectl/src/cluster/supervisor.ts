// The supervisor: a detached process that starts the cluster's components, restarts one that
// exits (1 s doubling to 30 s), and on SIGTERM stops them in reverse start order.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync, rmSync } from "node:fs";
import { type ClusterSettings, type ComponentSpec, clusterComponents } from "./components.js";
import type { ClusterPaths } from "./paths.js";
import { type ClusterState, type ComponentState, writeState } from "./state.js";

interface Running {
  spec: ComponentSpec;
  child: ChildProcess | undefined;
  state: ComponentState;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
}

const STOP_GRACE_MS = 10_000;

export async function supervise(paths: ClusterPaths, settings: ClusterSettings): Promise<void> {
  mkdirSync(paths.logs, { recursive: true });
  mkdirSync(paths.data, { recursive: true });
  const state: ClusterState = { supervisorPid: process.pid, startedAt: new Date().toISOString(), components: [] };
  const running: Running[] = [];
  let stopping = false;
  const save = () => {
    state.components = running.map((r) => r.state);
    writeState(paths.state, state);
  };

  const start = (r: Running) => {
    const out = openSync(r.spec.logFile, "a");
    const child = spawn(r.spec.command, r.spec.args, { stdio: ["ignore", out, out], env: process.env });
    r.child = child;
    r.state.pid = child.pid ?? 0;
    r.state.startedAt = new Date().toISOString();
    save();
    const startedAt = Date.now();
    child.on("error", (err) => {
      console.error(JSON.stringify({ msg: "component failed to start", component: r.spec.name, err: err.message }));
    });
    child.on("exit", (code, signal) => {
      r.child = undefined;
      r.state.pid = 0;
      save();
      if (stopping) return;
      console.error(JSON.stringify({ msg: "component exited", component: r.spec.name, code, signal }));
      // A component that ran a minute before dying gets a fresh back-off.
      if (Date.now() - startedAt > 60_000) r.backoffMs = 1000;
      r.timer = setTimeout(() => {
        r.state.restarts += 1;
        start(r);
      }, r.backoffMs);
      r.backoffMs = Math.min(r.backoffMs * 2, 30_000);
    });
  };

  for (const spec of clusterComponents(settings, paths)) {
    const r: Running = {
      spec,
      child: undefined,
      backoffMs: 1000,
      timer: undefined,
      state: { name: spec.name, pid: 0, address: spec.address, healthUrl: spec.healthUrl, logFile: spec.logFile, restarts: 0, startedAt: "" },
    };
    running.push(r);
    start(r);
  }

  await new Promise<void>((resolve) => {
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      for (const r of [...running].reverse()) {
        if (r.timer) clearTimeout(r.timer);
        await stopChild(r.child);
      }
      rmSync(paths.state, { force: true });
      resolve();
    };
    process.on("SIGTERM", () => void stop());
    process.on("SIGINT", () => void stop());
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
