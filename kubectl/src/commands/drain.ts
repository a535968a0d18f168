// mkctl drain NODE…: cordon the node, then delete (respecting each pod's grace period) the pods on
// it that something will replace, and wait until they are gone — as kubectl drain, without an
// eviction API. Pods no controller owns would be lost for good: they stop the drain unless --force.
//
//   node/n1 cordoned
//   evicting pod default/web-1
//   pod/web-1 evicted
//   node/n1 drained
import type { Pod } from "@mk/proto";
import { type Clientset, NotFoundError } from "@mk/proto/client";
import { type Cli, parseDuration } from "../cli.js";
import { CliError } from "../errors.js";
import { nodeNames, setUnschedulable } from "./cordon.js";

export interface DrainFlags {
  selector?: string;
  force?: boolean;
  ignoreErrors?: boolean;
  timeout?: string;
  gracePeriod?: string;
  deleteEmptydirData?: boolean;
}

const POLL_MS = 250;

const ref = (p: Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;
const finished = (p: Pod) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed";

export interface DrainPlan {
  /** Pods to delete, in a stable order. */
  remove: Pod[];
  /** Reasons the drain cannot go on (without overrides), kubectl's wording. */
  errors: string[];
  warnings: string[];
}

/** Which pods go, and what stops the drain: kubectl's filters (finished, unreplicated, local storage). */
export function planDrain(pods: readonly Pod[], f: Pick<DrainFlags, "force" | "deleteEmptydirData">): DrainPlan {
  const unowned: string[] = [];
  const local: string[] = [];
  const remove: Pod[] = [];
  for (const p of [...pods].sort((a, b) => (ref(a) < ref(b) ? -1 : 1))) {
    const done = finished(p);
    if (!done && !p.metadata?.ownerReferences.some((o) => o.controller)) unowned.push(ref(p));
    if (!done && p.spec?.volumes.some((v) => v.emptyDir)) local.push(ref(p));
    remove.push(p);
  }
  const errors: string[] = [];
  const warnings: string[] = [];
  if (unowned.length > 0) {
    if (f.force) warnings.push(`deleting Pods that declare no controller: ${unowned.join(", ")}`);
    else errors.push(`cannot delete Pods that declare no controller (use --force to override): ${unowned.join(", ")}`);
  }
  if (local.length > 0) {
    if (f.deleteEmptydirData) warnings.push(`deleting Pods with local storage: ${local.join(", ")}`);
    else errors.push(`cannot delete Pods with local storage (use --delete-emptydir-data to override): ${local.join(", ")}`);
  }
  return { remove, errors, warnings };
}

async function drainNode(cli: Cli, cs: Clientset, node: string, f: DrainFlags, deadline: number): Promise<void> {
  try {
    cli.out((await setUnschedulable(cs, node, true)) ? `node/${node} cordoned\n` : `node/${node} already cordoned\n`);
  } catch (err) {
    if (err instanceof NotFoundError) throw new CliError(`Error from server (NotFound): nodes "${node}" not found`, { raw: true, cause: err });
    throw err;
  }
  const onNode = (await cs.pods.list({ fieldSelector: `spec.nodeName=${node}` })).items;
  const plan = planDrain(onNode, f);
  if (plan.errors.length > 0) throw new CliError(plan.errors.join(", "));
  for (const w of plan.warnings) cli.err(`Warning: ${w}\n`);

  const grace = f.gracePeriod === undefined ? -1 : Number(f.gracePeriod);
  const waiting = new Map<string, Pod>();
  for (const p of plan.remove) {
    const m = p.metadata!;
    cli.out(`evicting pod ${ref(p)}\n`);
    try {
      await cs.pods.delete(m.name, m.namespace, {
        // Negative: the pod's own terminationGracePeriodSeconds, as the API server defaults it.
        ...(grace >= 0 ? { gracePeriodSeconds: grace } : {}),
        preconditions: { uid: m.uid },
      });
    } catch (err) {
      // Gone already (or replaced by a pod of the same name): nothing left to evict.
      if (!(err instanceof NotFoundError)) throw err;
    }
    waiting.set(m.uid, p);
  }

  // Wait until every deleted pod is gone from the node (the kubelet finishes graceful deletions).
  while (waiting.size > 0) {
    const present = new Set((await cs.pods.list({ fieldSelector: `spec.nodeName=${node}` })).items.map((p) => p.metadata?.uid));
    for (const [uid, p] of [...waiting]) {
      if (present.has(uid)) continue;
      waiting.delete(uid);
      cli.out(`pod/${p.metadata?.name} evicted\n`);
    }
    if (waiting.size === 0) break;
    if (deadline > 0 && Date.now() >= deadline) {
      const first = [...waiting.values()][0]!;
      throw new CliError(
        `error when waiting for pod "${first.metadata?.name}" in namespace "${first.metadata?.namespace}" to terminate: global timeout reached: ${f.timeout}`,
        { raw: true },
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  cli.out(`node/${node} drained\n`);
}

export async function drain(cli: Cli, args: string[], f: DrainFlags): Promise<void> {
  const timeoutMs = f.timeout ? parseDuration(f.timeout, "--timeout") : 0;
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : 0;
  const cs = await cli.client();
  const nodes = await nodeNames(cs, args, f.selector, "drain");
  const failed: Array<{ node: string; err: unknown }> = [];
  for (const node of nodes) {
    try {
      await drainNode(cli, cs, node, f, deadline);
    } catch (err) {
      if (!f.ignoreErrors && failed.length === 0 && nodes.length === 1) {
        cli.err(`error: unable to drain node "${node}" due to error: ${message(err)}, continuing command...\n`);
        cli.err(`There are pending nodes to be drained:\n ${node}\n`);
        throw err;
      }
      failed.push({ node, err });
      cli.err(`error: unable to drain node "${node}" due to error: ${message(err)}, continuing command...\n`);
      if (!f.ignoreErrors) break;
    }
  }
  if (failed.length === 0) return;
  cli.err(`There are pending nodes to be drained:\n${failed.map((x) => ` ${x.node}\n`).join("")}`);
  const last = failed[failed.length - 1]!.err;
  throw last instanceof CliError ? last : new CliError(message(last), { cause: last });
}

function message(err: unknown): string {
  if (err instanceof CliError) return err.message.replace(/^error: /, "");
  return err instanceof Error ? err.message : String(err);
}
