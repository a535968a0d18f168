// Where a local cluster keeps its state: $MK_HOME (default ~/.mk)/cluster/{data,logs,state.json}.
import { homedir } from "node:os";
import { join } from "node:path";

export function mkHome(): string {
  return process.env.MK_HOME || join(homedir(), ".mk");
}

export interface ClusterPaths {
  root: string;
  data: string;
  logs: string;
  /** Written by the supervisor: what runs, with pids and addresses. */
  state: string;
  /** The settings the cluster was first started with, reused by later `up`s. */
  settings: string;
  supervisorLog: string;
}

export function clusterPaths(root = join(mkHome(), "cluster")): ClusterPaths {
  return {
    root,
    data: join(root, "data"),
    logs: join(root, "logs"),
    state: join(root, "state.json"),
    settings: join(root, "cluster.json"),
    supervisorLog: join(root, "logs", "supervisor.log"),
  };
}
