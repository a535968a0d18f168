// The faults: SIGKILL of one component of one cluster, by the pid its supervisor wrote in
// state.json (kubectl/src/cluster/state.ts). What may be killed comes from that state, so a cluster
// with more members (HA: several etcd members, API servers, schedulers, controller managers) offers
// them all: a component is classed by its name (etcd…, apiserver…, scheduler…,
// controller-manager…, or one of the cluster's node names for a kubelet). Anything else (the image
// registry, a lab node's dockerd, the HA balancer apiserver-lb) is not a target. etcd members die one at a time: one is killed
// only while every member runs and answers its health check, so a quorum always remains.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Rng } from "./prng.js";

export const ROLES = ["etcd", "apiserver", "scheduler", "controller-manager", "kubelet"] as const;
export type Role = (typeof ROLES)[number];

export interface Member {
  name: string;
  role: Role;
  pid: number;
  healthUrl: string;
}

interface StateFile {
  components: { name: string; pid: number; healthUrl: string }[];
}

/** The HA topology's TCP balancer (kubectl/src/cluster/topology.ts): the cluster's address, not a member. */
const BALANCER = "apiserver-lb";

export function roleOf(name: string, nodes: readonly string[]): Role | undefined {
  if (nodes.includes(name)) return "kubelet";
  if (name === BALANCER) return undefined;
  return ROLES.find((r) => r !== "kubelet" && (name === r || name.startsWith(`${r}-`)));
}

/** The cluster's members as its supervisor last wrote them (pid 0: down, being restarted). */
export function members(home: string, nodes: readonly string[]): Member[] {
  const state = JSON.parse(readFileSync(join(home, "cluster", "state.json"), "utf8")) as StateFile;
  const out: Member[] = [];
  for (const c of state.components) {
    const role = roleOf(c.name, nodes);
    if (role) out.push({ name: c.name, role, pid: c.pid, healthUrl: c.healthUrl });
  }
  return out;
}

/** The kubelets' io.mk.cluster label: by default the API server address they were given. */
export function clusterIdOf(home: string): string {
  const s = JSON.parse(readFileSync(join(home, "cluster", "cluster.json"), "utf8")) as { host: string; apiPort: number };
  return `${s.host}:${s.apiPort}`.toLowerCase();
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/**
 * Picks a member at random from the state's killable ones (sorted by name, so a seed picks the same
 * names whatever is up at the moment), other than `not` (the last victim: its supervisor's back-off
 * doubles with each quick death, and a run would mostly wait for it), waits until it runs again if
 * it is down (an etcd member: until every member runs and is healthy), and kills it. undefined if it
 * did not come up in time.
 */
export async function killOne(home: string, nodes: readonly string[], random: Rng, not?: string, waitMs = 120_000): Promise<Member | undefined> {
  const names = members(home, nodes).map((m) => m.name).sort();
  const name = random.pick(names.length > 1 ? names.filter((n) => n !== not) : names);
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const all = members(home, nodes);
    const victim = all.find((m) => m.name === name);
    const etcd = all.filter((m) => m.role === "etcd");
    const ready =
      victim !== undefined &&
      victim.pid > 0 &&
      (victim.role !== "etcd" || (etcd.every((m) => m.pid > 0) && (await Promise.all(etcd.map((m) => healthy(m.healthUrl)))).every(Boolean)));
    if (ready) {
      try {
        process.kill(victim.pid, "SIGKILL");
        return victim;
      } catch (err) {
        // It died on its own between the read and the kill: wait for its next life.
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}
