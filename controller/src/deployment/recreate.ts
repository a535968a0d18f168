// Recreate (Kubernetes' recreate.go): every old ReplicaSet to 0, wait until their pods are gone, then
// the new ReplicaSet to spec.replicas. Pure decisions; the controller applies them.
import type { ScaleAction } from "./rolling.js";
import { actualReplicaCount, filterActive, specReplicas } from "./util.js";
import type { RS, RoDeployment, RoPod } from "../types.js";

export function scaleDownOldForRecreate(oldRSs: readonly RS[]): ScaleAction[] {
  return filterActive(oldRSs).map((rs) => ({ rs, from: specReplicas(rs), to: 0, reason: "recreate: old replica sets go first" }));
}

/**
 * Whether any pod of an old ReplicaSet may still run: an old set still reports pods, or a pod owned by
 * one (by uid) is neither Succeeded nor Failed. `podsByOwner` maps a ReplicaSet's uid to its pods.
 */
export function oldPodsRunning(newRS: RS | undefined, oldRSs: readonly RS[], podsByOwner: ReadonlyMap<string, readonly RoPod[]>): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  const newUid = newRS?.metadata?.uid;
  for (const [uid, pods] of podsByOwner) {
    if (newUid !== undefined && uid === newUid) continue;
    for (const p of pods) {
      const phase = p.status?.phase ?? "";
      if (phase !== "Succeeded" && phase !== "Failed") return true;
    }
  }
  return false;
}

export function scaleUpNewForRecreate(d: RoDeployment, newRS: RS): ScaleAction | undefined {
  const want = specReplicas(d);
  const have = specReplicas(newRS);
  return want === have ? undefined : { rs: newRS, from: have, to: want, reason: "recreate: old pods are gone" };
}
