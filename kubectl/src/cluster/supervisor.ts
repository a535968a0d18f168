// The supervisor: a detached process that starts the cluster's components, restarts one that
// exits (1 s doubling to 30 s), and on SIGTERM stops them in reverse start order. A component with
// a file in paths.held (`mkctl cluster node stop`) is killed and left down; SIGUSR2 makes the
// supervisor re-read that folder. In lab mode it removes the lab's network once everything stopped.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, rmSync } from "node:fs";
import { clusterComponents } from "./components.js";
import { labLayout } from "./lab/layout.js";
import { labNetworkDown } from "./lab/network.js";
import { type ClusterPaths, heldFile } from "./paths.js";
import type { ClusterSettings, ComponentSpec } from "./settings.js";
import { type ClusterState, type ComponentState, writeState } from "./state.js";

interface Running {
  spec: ComponentSpec;
  child: ChildProcess | undefined;
  state: ComponentState;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
  /** Its spec's prepare() is running. */
  preparing: boolean;
}

const STOP_GRACE_MS = 10_000;

export async function supervise(paths: ClusterPaths, settings: ClusterSettings): Promise<void> {
  mkdirSync(paths.logs, { recursive: true });
  mkdirSync(paths.data, { recursive: true });
  // A fresh `up` starts every component, whatever was stopped by hand before.
  rmSync(paths.held, { recursive: true, force: true });
  const state: ClusterState = { supervisorPid: process.pid, startedAt: new Date().toISOString(), components: [] };
  const running: Running[] = [];
  const abort = new AbortController();
  let stopping = false;
  const save = () => {
    state.components = running.map((r) => r.state);
    writeState(paths.state, state);
  };
  const isHeld = (r: Running) => existsSync(heldFile(paths, r.spec.name));

  const restartLater = (r: Running, startedAt: number) => {
    // A component that ran a minute before dying gets a fresh back-off.
    if (Date.now() - startedAt > 60_000) r.backoffMs = 1000;
    r.timer = setTimeout(() => {
      r.timer = undefined;
      r.state.restarts += 1;
      start(r);
    }, r.backoffMs);
    r.backoffMs = Math.min(r.backoffMs * 2, 30_000);
  };

  const spawnChild = (r: Running) => {
    if (stopping) return;
    if (isHeld(r)) {
      r.state.held = true;
      save();
      return;
    }
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
      if (isHeld(r)) {
        console.error(JSON.stringify({ msg: "component stopped on request", component: r.spec.name, code, signal }));
        r.state.held = true;
        save();
        return;
      }
      console.error(JSON.stringify({ msg: "component exited", component: r.spec.name, code, signal }));
      restartLater(r, startedAt);
    });
  };

  const start = (r: Running) => {
    if (stopping) return;
    r.state.held = false;
    const prepare = r.spec.prepare;
    if (!prepare) return spawnChild(r);
    r.preparing = true;
    const startedAt = Date.now();
    void prepare(abort.signal).then(
      () => {
        r.preparing = false;
        spawnChild(r);
      },
      (err: unknown) => {
        r.preparing = false;
        if (stopping) return;
        console.error(JSON.stringify({ msg: "component prepare failed", component: r.spec.name, err: err instanceof Error ? err.message : String(err) }));
        restartLater(r, startedAt);
      },
    );
  };

  /** Applies paths.held: kill what is held (abruptly, as a failing node), start what no longer is. */
  const reconcileHolds = () => {
    if (stopping) return;
    for (const r of running) {
      if (isHeld(r)) {
        if (r.timer) clearTimeout(r.timer);
        r.timer = undefined;
        r.state.held = true;
        r.child?.kill("SIGKILL");
      } else if (r.state.held) {
        r.state.held = false;
        r.backoffMs = 1000;
        if (!r.child && !r.timer && !r.preparing) start(r);
      }
    }
    save();
  };
  // Before anything runs: `node stop` may signal as soon as state.json names a component, and
  // SIGUSR2's default action would end the supervisor.
  process.on("SIGUSR2", reconcileHolds);

  for (const spec of clusterComponents(settings, paths)) {
    const r: Running = {
      spec,
      child: undefined,
      backoffMs: 1000,
      timer: undefined,
      preparing: false,
      state: { name: spec.name, pid: 0, address: spec.address, healthUrl: spec.healthUrl, logFile: spec.logFile, restarts: 0, startedAt: "" },
    };
    running.push(r);
    start(r);
  }

  await new Promise<void>((resolve) => {
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      abort.abort();
      for (const r of [...running].reverse()) {
        if (r.timer) clearTimeout(r.timer);
        await stopChild(r.child);
      }
      if (settings.isolated) {
        try {
          await labNetworkDown(labLayout(settings, paths));
        } catch (err) {
          // `mkctl cluster down` tries again and reports it; the supervisor only logs.
          console.error(JSON.stringify({ msg: "lab network teardown failed", err: err instanceof Error ? err.message : String(err) }));
        }
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
