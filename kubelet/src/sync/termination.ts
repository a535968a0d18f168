// Stopping a pod: every app container at once — its preStop hook first when the pod spec is known
// (the hook's time comes out of the grace period), then SIGTERM, SIGKILL after what is left of the
// grace period (the engine's stop; an init process as PID 1 forwards the SIGTERM) — then the sandbox,
// then removal of the containers and of the pod's emptyDir volumes. Persistent claims stay.
import { LABEL_CONTAINER_NAME, LABEL_GRACE, LABEL_POD_UID, LABEL_TYPE, type NodeScope, scopeLabels } from "../runtime/names.js";
import type { ContainerRuntime, ContainerSummary } from "../runtime/runtime.js";
import { removePodVolumes } from "../runtime/volumes.js";

export interface KillOptions {
  graceSeconds: number;
  /** Called for each running app container before it is stopped (Killing event). */
  onKill?: (containerName: string) => void;
  /**
   * Runs the container's preStop hook, if it has one, and returns the seconds left of the grace
   * period. Unset for pods already gone from the API (their spec is not known).
   */
  preStop?: (containerName: string, containerId: string, graceSeconds: number) => Promise<number>;
}

/** Stops everything of the pod (app containers first, then the sandbox) without removing anything. */
export async function stopPod(rt: ContainerRuntime, scope: NodeScope, uid: string, opts: KillOptions): Promise<ContainerSummary[]> {
  const all = await rt.listContainers({ ...scopeLabels(scope), [LABEL_POD_UID]: uid });
  const apps = all.filter((c) => c.labels[LABEL_TYPE] !== "sandbox");
  const sandboxes = all.filter((c) => c.labels[LABEL_TYPE] === "sandbox");
  await Promise.all(
    apps
      .filter((c) => c.state === "running" || c.state === "restarting" || c.state === "paused")
      .map(async (c) => {
        const name = c.labels[LABEL_CONTAINER_NAME] ?? "";
        opts.onKill?.(name);
        const grace = opts.preStop ? await opts.preStop(name, c.id, opts.graceSeconds) : opts.graceSeconds;
        await rt.stopContainer(c.id, grace);
      }),
  );
  // The pause container holds nothing worth a grace period.
  await Promise.all(sandboxes.filter((c) => c.state === "running").map((c) => rt.stopContainer(c.id, 0)));
  return all;
}

/** Stops and removes everything the runtime holds for the pod. */
export async function killAndRemovePod(rt: ContainerRuntime, scope: NodeScope, uid: string, opts: KillOptions): Promise<void> {
  const all = await stopPod(rt, scope, uid, opts);
  await Promise.all(all.map((c) => rt.removeContainer(c.id)));
  await removePodVolumes(rt, uid, scope);
}

/** The grace period recorded on a pod's containers, for pods already gone from the API. */
export function recordedGrace(containers: ContainerSummary[], fallback = 30): number {
  for (const c of containers) {
    const g = Number(c.labels[LABEL_GRACE]);
    if (Number.isFinite(g) && c.labels[LABEL_GRACE] !== undefined) return g;
  }
  return fallback;
}
