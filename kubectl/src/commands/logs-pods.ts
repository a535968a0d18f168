// The pod `mkctl logs TYPE/NAME` reads: a Deployment's, ReplicaSet's or Job's pods by the owner's
// selector, and of those the one kubectl's AttachablePodForObject would pick (the most "active":
// running and ready before running before pending, then the oldest).
import type { LabelSelector, Pod } from "@mk/proto";
import { type KindInfo, lookupKind, selectorToString } from "@mk/proto/api";
import { type Clientset, NotFoundError } from "@mk/proto/client";
import { CliError, serverError } from "../errors.js";
import { pluralRef, refName } from "../resources.js";

const OWNERS = new Set(["Deployment", "ReplicaSet", "Job"]);

interface Owned {
  /** `deployment/web`, as kubectl names the object in "no pods found for …". */
  ref: string;
  pods: Pod[];
}

interface WithSelector {
  spec?: { selector?: LabelSelector };
}

export async function ownerSelector(cs: Clientset, namespace: string, type: string, name: string): Promise<Owned> {
  const info: KindInfo | undefined = lookupKind(type);
  if (!info) throw new CliError(`the server doesn't have a resource type "${type}"`);
  if (!OWNERS.has(info.kind)) throw new CliError(`cannot get the logs from ${refName(info, name)}: only pods, deployments, replica sets and jobs have logs`);
  let owner: WithSelector;
  try {
    owner = (await cs.resource(info.kind).get(name, namespace)) as WithSelector;
  } catch (err) {
    if (err instanceof NotFoundError) throw serverError("NotFound", `${pluralRef(info)} "${name}" not found`, err);
    throw err;
  }
  const pods = (await cs.pods.list({ namespace, labelSelector: selectorToString(owner.spec?.selector) })).items;
  return { ref: `${info.singular}/${name}`, pods };
}

/** Higher is more active: ready, running, scheduled. */
function activity(p: Pod): number {
  const ready = p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ? 4 : 0;
  const running = p.status?.phase === "Running" ? 2 : 0;
  const bound = p.spec?.nodeName ? 1 : 0;
  return ready + running + bound;
}

export function choosePod(pods: readonly Pod[]): Pod | undefined {
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const created = (p: Pod) => Date.parse(p.metadata?.creationTimestamp ?? "") || 0;
  return [...(live.length > 0 ? live : pods)].sort(
    (a, b) => activity(b) - activity(a) || created(a) - created(b) || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""),
  )[0];
}
