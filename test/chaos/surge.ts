// Invariant: per Deployment, pods not terminating ≤ the largest `replicas` in effect since the
// controller observed the last change + maxSurge. Fed the Deployment, ReplicaSet and Pod events in
// etcd's order (merge.ts), it checks after every event. The rules, where the words meet a real
// controller:
//
// - "Pods not terminating" are the active pods, as the ReplicaSet controller counts them
//   (controller/src/replicaset/pods.ts): no deletionTimestamp, and not Succeeded or Failed (a
//   finished pod is replaced, as in Kubernetes). A pod is the Deployment's when its controller is one
//   of the Deployment's ReplicaSets, or when it has no controller and carries the Deployment's
//   selector labels (an orphan the ReplicaSet controller would adopt).
// - "In effect": until the Deployment's status.observedGeneration reaches its generation, the
//   controller may still be acting on an earlier spec, so the bound is the largest replicas of any
//   spec since the last observed one (scaled 3 → 1: 3 + maxSurge until observed, then 1 + maxSurge).
// - The ReplicaSet controller lags the Deployment controller the same way: a ReplicaSet told to
//   shrink counts as its new size (its extra pods are about to be deleted) until its own controller
//   reports that it did — status.observedGeneration ≥ generation and status.replicas ≤
//   spec.replicas. A ReplicaSet that was not told to shrink counts every active pod it has, so a
//   controller that creates too many is seen at once.
// - maxSurge is resolved against the replicas in effect (a percentage rounds up, as Kubernetes'
//   fenceposts); a Recreate Deployment has no surge.
import type { Deployment, Pod, ReplicaSet } from "@mk/proto";
import type { DeepReadonly } from "@mk/proto/informer";
import type { ApiEvent, Violation } from "./events.js";

type RoD = DeepReadonly<Deployment>;
type RoRS = DeepReadonly<ReplicaSet>;
type RoPod = DeepReadonly<Pod>;

interface Tracked {
  generation: number;
  /** The largest replicas of any spec since the controller last observed one. */
  inEffect: number;
}

export function isActivePod(p: RoPod): boolean {
  const phase = p.status?.phase ?? "";
  return !p.metadata?.deletionTimestamp && phase !== "Succeeded" && phase !== "Failed";
}

/** maxSurge of a Deployment for `replicas`: "1" → 1, "25%" → ceil(replicas / 4); the default is 25%. */
export function surgeOf(d: RoD, replicas: number): number {
  const st = d.spec?.strategy;
  if (st?.type === "Recreate") return 0;
  const raw = st?.rollingUpdate?.maxSurge || "25%";
  if (raw.endsWith("%")) return Math.ceil((replicas * Number(raw.slice(0, -1))) / 100);
  return Number(raw);
}

const controllerUid = (o: { metadata?: { ownerReferences: readonly { uid: string; controller?: boolean | undefined }[] } | undefined }) =>
  o.metadata?.ownerReferences.find((r) => r.controller)?.uid;

export class SurgeChecker {
  private readonly deployments = new Map<string, RoD>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly replicaSets = new Map<string, RoRS>();
  /** ReplicaSets (by uid) told to shrink whose controller has not reported it yet. */
  private readonly shrinking = new Set<string>();
  private readonly pods = new Map<string, RoPod>();
  readonly violations: Violation[] = [];
  /** Deployments over their bound now: a violation is reported once, when it starts. */
  private readonly over = new Set<string>();
  checks = 0;
  /** The largest count seen against its bound, per Deployment (for the report). */
  readonly worst = new Map<string, { pods: number; bound: number }>();

  feed(e: ApiEvent): void {
    const uid = e.obj.metadata?.uid ?? "";
    if (e.kind === "Deployment") this.onDeployment(e.type, e.obj);
    else if (e.kind === "ReplicaSet") this.onReplicaSet(e.type, uid, e.obj);
    else if (e.type === "delete") this.pods.delete(uid);
    else this.pods.set(uid, e.obj);
    this.check(e.rv);
  }

  private onDeployment(type: "put" | "delete", d: RoD): void {
    const name = d.metadata?.name ?? "";
    if (type === "delete") {
      this.deployments.delete(name);
      this.tracked.delete(name);
      return;
    }
    const gen = d.metadata?.generation ?? 0;
    const replicas = d.spec?.replicas ?? 1;
    const t = this.tracked.get(name) ?? { generation: 0, inEffect: replicas };
    if (gen > t.generation) t.inEffect = Math.max(t.inEffect, replicas);
    t.generation = Math.max(t.generation, gen);
    if ((d.status?.observedGeneration ?? 0) >= gen) t.inEffect = replicas;
    this.tracked.set(name, t);
    this.deployments.set(name, d);
  }

  private onReplicaSet(type: "put" | "delete", uid: string, rs: RoRS): void {
    const before = this.replicaSets.get(uid);
    if (type === "delete") {
      this.replicaSets.delete(uid);
      this.shrinking.delete(uid);
      return;
    }
    const spec = rs.spec?.replicas ?? 1;
    if (before && spec < (before.spec?.replicas ?? 1)) this.shrinking.add(uid);
    const reported = (rs.status?.observedGeneration ?? 0) >= (rs.metadata?.generation ?? 0) && (rs.status?.replicas ?? 0) <= spec;
    if (reported) this.shrinking.delete(uid);
    this.replicaSets.set(uid, rs);
  }

  private check(rv: number): void {
    for (const [name, d] of this.deployments) {
      const t = this.tracked.get(name);
      if (!t) continue;
      const dUid = d.metadata?.uid ?? "";
      const labels = d.spec?.selector?.matchLabels ?? {};
      const perRs = new Map<string, number>();
      let orphans = 0;
      for (const p of this.pods.values()) {
        if (!isActivePod(p)) continue;
        const owner = controllerUid(p);
        if (owner === undefined) {
          const pl = p.metadata?.labels ?? {};
          if (Object.keys(labels).length > 0 && Object.entries(labels).every(([k, v]) => pl[k] === v)) orphans += 1;
          continue;
        }
        const rs = this.replicaSets.get(owner);
        if (rs && controllerUid(rs) === dUid) perRs.set(owner, (perRs.get(owner) ?? 0) + 1);
      }
      let count = orphans;
      for (const [rsUid, n] of perRs) {
        const rs = this.replicaSets.get(rsUid);
        count += this.shrinking.has(rsUid) ? Math.min(n, rs?.spec?.replicas ?? 1) : n;
      }
      const bound = t.inEffect + surgeOf(d, t.inEffect);
      this.checks += 1;
      const w = this.worst.get(name);
      if (!w || count - bound > w.pods - w.bound) this.worst.set(name, { pods: count, bound });
      if (count <= bound) this.over.delete(name);
      else if (!this.over.has(name)) {
        this.over.add(name);
        this.violations.push({
          invariant: "surge",
          detail: `deployment ${name} at revision ${rv}: ${count} active pods > ${t.inEffect} replicas in effect + maxSurge ${surgeOf(d, t.inEffect)} (${[...perRs].map(([u, n]) => `${this.replicaSets.get(u)?.metadata?.name}: ${n}`).join(", ")}${orphans ? `, ${orphans} without owner` : ""})`,
        });
      }
    }
  }
}
