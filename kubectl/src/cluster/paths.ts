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
  /** One empty file per component stopped on purpose (`mkctl cluster node stop`), read by the supervisor. */
  held: string;
  /** The cluster's CA, certificates and bootstrap tokens (`mkctl cluster init`). */
  pki: string;
}

export function clusterPaths(root = join(mkHome(), "cluster")): ClusterPaths {
  return {
    root,
    data: join(root, "data"),
    logs: join(root, "logs"),
    state: join(root, "state.json"),
    settings: join(root, "cluster.json"),
    supervisorLog: join(root, "logs", "supervisor.log"),
    held: join(root, "held"),
    pki: join(root, "pki"),
  };
}

/** The file that holds one component down; component names may contain "/" (`node-1/dockerd`). */
export function heldFile(paths: ClusterPaths, component: string): string {
  return join(paths.held, component.replaceAll("/", "_"));
}
