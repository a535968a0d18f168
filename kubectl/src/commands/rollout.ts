// mkctl rollout status|history|undo|pause|resume|restart for Deployments, with kubectl's wording.
// Undo works as kubectl's does: it finds the ReplicaSet of the revision and copies its template,
// minus its hash label, back into the Deployment; the controller does the rest.
import {
  CHANGE_CAUSE_ANNOTATION,
  type Deployment,
  equalIgnoreHash,
  findRevision,
  KINDS,
  type PodTemplateSpec,
  type ReplicaSet,
  RESTARTED_AT_ANNOTATION,
  revisionOf,
  rollbackAnnotations,
  templateWithoutHash,
} from "@mk/proto";
import { type Clientset, NotFoundError, retryOnConflict } from "@mk/proto/client";
import { type Cli, parseDuration } from "../cli.js";
import { CliError } from "../errors.js";
import { notFoundLine, refName, resolveKind } from "../resources.js";

const DEPLOYMENT = KINDS.Deployment;
const TIMED_OUT_REASON = "ProgressDeadlineExceeded";

/**
 * Deployment names from `deployment/NAME …`, `deployment NAME …`, `deploy NAME`, or one bare NAME
 * (a single bare argument always names a Deployment, so `node` is the deployment "node").
 */
export function deploymentNames(args: readonly string[]): string[] {
  if (args.length === 0) throw new CliError("required resource not specified");
  if (args.length === 1 && !args[0]?.includes("/")) return [args[0] ?? ""];
  if (args[0]?.includes("/")) {
    return args.map((a) => {
      const i = a.indexOf("/");
      const info = resolveKind(a.slice(0, i));
      if (info.kind !== "Deployment") throw new CliError(`no rollout support for ${info.plural}: only deployments`);
      return a.slice(i + 1);
    });
  }
  const info = resolveKind(args[0] ?? "");
  if (info.kind !== "Deployment") throw new CliError(`no rollout support for ${info.plural}: only deployments`);
  return args.slice(1);
}

async function getDeployment(cs: Clientset, ns: string, name: string): Promise<Deployment> {
  try {
    return await cs.deployments.get(name, ns);
  } catch (err) {
    if (err instanceof NotFoundError) throw new CliError(notFoundLine(DEPLOYMENT, name), { raw: true, cause: err });
    throw err;
  }
}

/** The Deployment's ReplicaSets: in its namespace, controlled by it (its uid). */
async function replicaSetsOf(cs: Clientset, d: Deployment): Promise<ReplicaSet[]> {
  const uid = d.metadata?.uid;
  const list = await cs.replicaSets.list({ namespace: d.metadata?.namespace ?? "" });
  return list.items.filter((rs) => rs.metadata?.ownerReferences.some((r) => r.controller === true && r.uid === uid));
}

// ---- status ----

/** kubectl's DeploymentStatusViewer: the line to print and whether the rollout is done. */
export function statusLine(d: Deployment): { line: string; done: boolean } {
  const name = d.metadata?.name ?? "";
  const s = d.status;
  if ((d.metadata?.generation ?? 0) <= (s?.observedGeneration ?? 0)) {
    if (s?.conditions.some((c) => c.type === "Progressing" && c.reason === TIMED_OUT_REASON)) {
      throw new CliError(`deployment "${name}" exceeded its progress deadline`);
    }
    const want = d.spec?.replicas ?? 1;
    const updated = s?.updatedReplicas ?? 0;
    if (updated < want) return { line: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...`, done: false };
    const replicas = s?.replicas ?? 0;
    if (replicas > updated) return { line: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`, done: false };
    const available = s?.availableReplicas ?? 0;
    if (available < updated) return { line: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`, done: false };
    return { line: `deployment "${name}" successfully rolled out`, done: true };
  }
  return { line: "Waiting for deployment spec update to be observed...", done: false };
}

export async function status(cli: Cli, args: string[], f: { timeout: string; watch: boolean }): Promise<void> {
  const [name, ...rest] = deploymentNames(args);
  if (!name || rest.length > 0) throw new CliError("rollout status takes exactly one deployment");
  const timeoutMs = parseDuration(f.timeout, "--timeout");
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  const cs = await cli.client();
  let last = "";
  for (;;) {
    const { line, done } = statusLine(await getDeployment(cs, cli.namespace, name));
    if (line !== last) cli.out(`${line}\n`);
    last = line;
    if (done || !f.watch) return;
    if (Date.now() >= deadline) throw new CliError("timed out waiting for the condition");
    await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
  }
}

// ---- history ----

/** kubectl's tabwriter (minwidth 0, padding 2). */
function tabulate(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 2))).join("")).join("\n");
}

/** The pod template as `rollout history --revision=N` prints it. */
export function describeTemplate(t: PodTemplateSpec | undefined): string {
  const out: string[] = ["Pod Template:"];
  const kv = (m: Readonly<Record<string, string>> | undefined) => {
    const e = Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b));
    return e.length === 0 ? "<none>" : e.map(([k, v]) => `${k}=${v}`).join("\n\t");
  };
  out.push(`  Labels:\t${kv(t?.metadata?.labels)}`);
  const ann = Object.entries(t?.metadata?.annotations ?? {});
  if (ann.length > 0) out.push(`  Annotations:\t${ann.map(([k, v]) => `${k}: ${v}`).join("\n\t")}`);
  out.push("  Containers:");
  for (const c of t?.spec?.containers ?? []) {
    out.push(`   ${c.name}:`);
    out.push(`    Image:\t${c.image}`);
    const ports = c.ports.map((p) => `${p.containerPort}/${p.protocol || "TCP"}`);
    out.push(`    Port:\t${ports.length ? ports.join(", ") : "<none>"}`);
    if (c.command.length) out.push(`    Command:\t${c.command.join(" ")}`);
    if (c.args.length) out.push(`    Args:\t${c.args.join(" ")}`);
    out.push(`    Environment:\t${c.env.length ? c.env.map((e) => `${e.name}=${e.value}`).join("\n\t") : "<none>"}`);
    out.push(`    Mounts:\t${c.volumeMounts.length ? c.volumeMounts.map((m) => `${m.mountPath} from ${m.name}`).join("\n\t") : "<none>"}`);
  }
  out.push(`  Volumes:\t${t?.spec?.volumes.length ? t.spec.volumes.map((v) => v.name).join(", ") : "<none>"}`);
  return `${out.join("\n")}\n`;
}

export async function history(cli: Cli, args: string[], f: { revision?: string }): Promise<void> {
  const cs = await cli.client();
  for (const name of deploymentNames(args)) {
    const d = await getDeployment(cs, cli.namespace, name);
    const byRevision = new Map<number, ReplicaSet>();
    for (const rs of await replicaSetsOf(cs, d)) {
      const r = revisionOf(rs);
      if (r !== undefined) byRevision.set(r, rs);
    }
    if (f.revision !== undefined && f.revision !== "0") {
      const want = Number(f.revision);
      const rs = byRevision.get(want);
      if (!Number.isInteger(want) || !rs) throw new CliError("unable to find the specified revision");
      const t = templateWithoutHash(rs.spec?.template);
      const cause = rs.metadata?.annotations[CHANGE_CAUSE_ANNOTATION];
      if (cause && t.metadata) t.metadata.annotations = { ...t.metadata.annotations, [CHANGE_CAUSE_ANNOTATION]: cause };
      cli.out(`${refName(DEPLOYMENT, name)} with revision #${want}\n${describeTemplate(t)}\n`);
      continue;
    }
    if (byRevision.size === 0) {
      cli.out(`${refName(DEPLOYMENT, name)} \nNo rollout history found.\n`);
      continue;
    }
    const rows = [["REVISION", "CHANGE-CAUSE"]];
    for (const r of [...byRevision.keys()].sort((a, b) => a - b)) {
      rows.push([String(r), byRevision.get(r)?.metadata?.annotations[CHANGE_CAUSE_ANNOTATION] || "<none>"]);
    }
    cli.out(`${refName(DEPLOYMENT, name)} \n${tabulate(rows)}\n\n`);
  }
}

// ---- undo ----

export async function undo(cli: Cli, args: string[], f: { toRevision: string }): Promise<void> {
  const toRevision = Number(f.toRevision);
  if (!Number.isInteger(toRevision)) throw new CliError(`invalid argument "${f.toRevision}" for "--to-revision" flag`);
  const cs = await cli.client();
  for (const name of deploymentNames(args)) {
    const msg = await retryOnConflict(async () => {
      const d = await getDeployment(cs, cli.namespace, name);
      if (d.spec?.paused) {
        throw new CliError("you cannot rollback a paused deployment; resume it first with 'mkctl rollout resume' and try again");
      }
      const found = findRevision(name, await replicaSetsOf(cs, d), toRevision);
      if (!found.found) throw new CliError(found.message);
      const rs = found.replicaSet;
      if (equalIgnoreHash(rs.spec?.template, d.spec?.template)) {
        return `skipped rollback (current template already matches revision ${toRevision || found.revision})`;
      }
      if (d.metadata) d.metadata.annotations = rollbackAnnotations(d, rs);
      if (d.spec) d.spec.template = templateWithoutHash(rs.spec?.template);
      await cs.deployments.update(d);
      return "rolled back";
    });
    cli.out(`${refName(DEPLOYMENT, name)} ${msg}\n`);
  }
}

// ---- pause, resume, restart ----

export async function setPaused(cli: Cli, args: string[], paused: boolean): Promise<void> {
  const cs = await cli.client();
  for (const name of deploymentNames(args)) {
    await retryOnConflict(async () => {
      const d = await getDeployment(cs, cli.namespace, name);
      if (Boolean(d.spec?.paused) === paused) {
        throw new CliError(`deployments.apps "${name}" ${paused ? "is already paused" : "is not paused"}`);
      }
      if (d.spec) d.spec.paused = paused;
      await cs.deployments.update(d);
    });
    cli.out(`${refName(DEPLOYMENT, name)} ${paused ? "paused" : "resumed"}\n`);
  }
}

export async function restart(cli: Cli, args: string[]): Promise<void> {
  const cs = await cli.client();
  for (const name of deploymentNames(args)) {
    await retryOnConflict(async () => {
      const d = await getDeployment(cs, cli.namespace, name);
      if (d.spec?.paused) throw new CliError(`deployments.apps "${name}" can't restart paused deployment (run rollout resume first)`);
      const t = d.spec?.template;
      if (t?.metadata) t.metadata.annotations = { ...t.metadata.annotations, [RESTARTED_AT_ANNOTATION]: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
      await cs.deployments.update(d);
    });
    cli.out(`${refName(DEPLOYMENT, name)} restarted\n`);
  }
}
