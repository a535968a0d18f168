// Taints and tolerations of the node lifecycle controller: the two NoExecute taints it manages,
// Kubernetes' toleration matching, and the effective tolerations of a pod — its own plus those the
// DefaultTolerationSeconds admission plugin would have added. mk computes them here instead of
// mutating pods, so a pod created before the flag changed follows the current flag.
import { type Taint, type Toleration, tolerates } from "@mk/proto";
import type { DeepReadonly } from "@mk/proto/informer";

/** The node controller saw no heartbeat within the grace period (Ready=Unknown). */
export const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";
/** The kubelet posts Ready=False. */
export const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
export const NO_EXECUTE = "NoExecute";

/** The taints this controller owns; any other taint on a node is someone else's and left alone. */
export const LIFECYCLE_TAINT_KEYS: readonly string[] = [TAINT_UNREACHABLE, TAINT_NOT_READY];

export type RoTaint = DeepReadonly<Taint>;
export type RoToleration = DeepReadonly<Toleration>;

/** Kubernetes' Toleration.ToleratesTaint (shared with the scheduler). */
export { tolerates };

export interface DefaultTolerations {
  notReadySeconds: number;
  unreachableSeconds: number;
}

/**
 * DefaultTolerationSeconds admission: a pod without a toleration for the not-ready (or unreachable)
 * NoExecute taint gets `key Exists, effect NoExecute, tolerationSeconds N`. "A toleration for it" is
 * judged as the plugin does: the key is that taint's or empty, the effect NoExecute or empty — so a
 * pod that tolerates unreachable forever (no tolerationSeconds) keeps doing so.
 */
export function effectiveTolerations(own: readonly RoToleration[], d: DefaultTolerations): RoToleration[] {
  const covers = (key: string) => own.some((t) => (t.key === key || t.key === "") && (t.effect === NO_EXECUTE || t.effect === ""));
  const out: RoToleration[] = [...own];
  if (!covers(TAINT_NOT_READY)) out.push({ key: TAINT_NOT_READY, operator: "Exists", value: "", effect: NO_EXECUTE, tolerationSeconds: d.notReadySeconds });
  if (!covers(TAINT_UNREACHABLE)) out.push({ key: TAINT_UNREACHABLE, operator: "Exists", value: "", effect: NO_EXECUTE, tolerationSeconds: d.unreachableSeconds });
  return out;
}

/**
 * How long a pod may stay on a node with this taint, in seconds: 0 when no toleration matches (evict
 * now), Infinity when the first matching toleration has no tolerationSeconds (never), else its
 * tolerationSeconds (negative counts as 0, as Kubernetes does).
 */
export function toleratedSeconds(tolerations: readonly RoToleration[], taint: RoTaint): number {
  const t = tolerations.find((x) => tolerates(x, taint));
  if (!t) return 0;
  if (t.tolerationSeconds === undefined) return Number.POSITIVE_INFINITY;
  return Math.max(0, t.tolerationSeconds);
}

export function isNoExecute(t: RoTaint): boolean {
  return t.effect === NO_EXECUTE;
}

/** Identity of a taint for "the same taint is still there": key, value and effect (not timeAdded). */
export function taintId(t: RoTaint): string {
  return `${t.key}=${t.value}:${t.effect}`;
}

/**
 * The node's taints with the lifecycle taint set to `want` (undefined: none of them). Returns
 * undefined when nothing changes, so the caller writes only on a change. A lifecycle taint already
 * there keeps its timeAdded; a new one gets `timeAdded`.
 */
export function reconcileLifecycleTaints(current: readonly RoTaint[], want: string | undefined, timeAdded: string): Taint[] | undefined {
  const keep = current.filter((t) => !(LIFECYCLE_TAINT_KEYS.includes(t.key) && t.effect === NO_EXECUTE && t.key !== want));
  const has = want !== undefined && keep.some((t) => t.key === want && t.effect === NO_EXECUTE);
  if (keep.length === current.length && (want === undefined || has)) return undefined;
  const next: Taint[] = keep.map((t) => ({ key: t.key, value: t.value, effect: t.effect, timeAdded: t.timeAdded }));
  if (want !== undefined && !has) next.push({ key: want, value: "", effect: NO_EXECUTE, timeAdded });
  return next;
}
