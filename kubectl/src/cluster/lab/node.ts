// `mkctl cluster node stop|start|cut|heal NAME`: failures to show in class.
//   stop  kills the node's kubelet (SIGKILL, as a crash) and keeps the supervisor from restarting it;
//         its containers keep running in the node's engine, as on a real node whose kubelet died.
//   start lets the supervisor run it again.
//   cut   takes the node's link down (the host end of its veth): the node and its pods are
//         unreachable, and the node cannot reach the API server; everything on it keeps running.
//   heal  brings the link up again.
//   In an HA lab, cut|heal also take an etcd member's component name (etcd-1…3): its namespace's link.
// stop/start work on any local cluster; cut/heal need a lab (`cluster up --isolated`).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { type ClusterPaths, heldFile } from "../paths.js";
import type { ClusterSettings } from "../settings.js";
import { isAlive, readState } from "../state.js";
import { labLayout, labNode } from "./layout.js";
import { setLink } from "./network.js";

export const NODE_ACTIONS = ["stop", "start", "cut", "heal"] as const;
export type NodeAction = (typeof NODE_ACTIONS)[number];

export const isNodeAction = (s: string): s is NodeAction => (NODE_ACTIONS as readonly string[]).includes(s);

const PAST: Record<NodeAction, string> = { stop: "stopped", start: "started", cut: "cut", heal: "healed" };

function runningSupervisor(paths: ClusterPaths): number {
  const state = readState(paths.state);
  if (!state || !isAlive(state.supervisorPid)) throw new Error("the cluster is not running (start it with: mkctl cluster up)");
  return state.supervisorPid;
}

/** Waits until the supervisor's state shows the component as done() wants it. */
async function waitComponent(paths: ClusterPaths, name: string, done: (pid: number, held: boolean) => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = readState(paths.state)?.components.find((x) => x.name === name);
    if (c && done(c.pid, c.held === true)) return;
    if (Date.now() > deadline) throw new Error(`node/${name} not ${what} after ${timeoutMs / 1000}s (see ${paths.supervisorLog})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Does action to the node called name; returns the kubectl-like line to print (`node/lab-2 cut`). */
export async function nodeAction(paths: ClusterPaths, settings: ClusterSettings, action: NodeAction, name: string, timeoutMs = 30_000): Promise<string> {
  const supervisor = runningSupervisor(paths);
  if (action === "cut" || action === "heal") {
    if (!settings.isolated) throw new Error(`node ${action} needs a lab cluster, whose nodes have links of their own (mkctl cluster up --isolated)`);
    const layout = labLayout(settings, paths);
    await setLink(layout.etcdMembers.find((m) => m.component === name) ?? labNode(layout, name), action === "heal");
    return `node/${name} ${PAST[action]}`;
  }
  if (!readState(paths.state)?.components.some((c) => c.name === name)) {
    throw new Error(`node ${JSON.stringify(name)} is not a node of this cluster (see mkctl cluster status)`);
  }
  const file = heldFile(paths, name);
  if (action === "stop") {
    mkdirSync(paths.held, { recursive: true });
    writeFileSync(file, "");
    process.kill(supervisor, "SIGUSR2");
    await waitComponent(paths, name, (pid, held) => held && (pid === 0 || !isAlive(pid)), "stopped", timeoutMs);
  } else {
    rmSync(file, { force: true });
    process.kill(supervisor, "SIGUSR2");
    await waitComponent(paths, name, (pid, held) => !held && pid !== 0 && isAlive(pid), "started", timeoutMs);
  }
  return `node/${name} ${PAST[action]}`;
}
