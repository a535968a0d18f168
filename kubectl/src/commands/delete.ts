// mkctl delete TYPE NAME… | TYPE/NAME… | -f FILE | TYPE -l SEL | TYPE --all
//   [--grace-period N] [--force] [--cascade=background|orphan|foreground] [--wait=false]
import type { KindInfo } from "@mk/proto/api";
import { type Clientset, type PropagationPolicy, NotFoundError, sleep } from "@mk/proto/client";
import { type Cli, parseDuration } from "../cli.js";
import { CliError, toCliError } from "../errors.js";
import { identify, readManifests } from "../manifest.js";
import { notFoundLine, parseResourceArgs, quotedRef } from "../resources.js";

export interface DeleteFlags {
  filename?: string[];
  recursive?: boolean;
  selector?: string;
  all?: boolean;
  allNamespaces?: boolean;
  gracePeriod?: string;
  force?: boolean;
  cascade?: string;
  wait?: string | boolean;
  timeout?: string;
  ignoreNotFound?: boolean;
}

export const FORCE_WARNING =
  "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.";

export function parseCascade(v: string | undefined): PropagationPolicy {
  switch (v ?? "background") {
    case "background":
    case "true":
      return "Background";
    case "orphan":
    case "false":
      return "Orphan";
    case "foreground":
      return "Foreground";
    default:
      throw new CliError(`invalid cascade value (${v}). Must be "background", "foreground", or "orphan".`);
  }
}

function parseBool(v: string | boolean | undefined, flag: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "") return true;
  if (v === "false") return false;
  throw new CliError(`invalid argument "${v}" for "${flag}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

interface Target {
  info: KindInfo;
  name: string;
  namespace: string;
  /** "error when deleting FILE": for -f. */
  source?: string;
}

/** Polls until the object is gone (a pod bound to a node goes when its kubelet confirms). */
async function waitGone(cs: Clientset, t: Target, uid: string, deadline: number): Promise<void> {
  for (let delay = 100; ; delay = Math.min(1000, delay * 2)) {
    try {
      const obj = await cs.resource(t.info.kind).get(t.name, t.namespace);
      // Same name, new object (a controller recreated it): the one we deleted is gone.
      if (uid && obj.metadata?.uid !== uid) return;
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    if (Date.now() > deadline) {
      throw new CliError(`timed out waiting for the condition on ${t.info.plural}/${t.name}`);
    }
    await sleep(delay);
  }
}

async function targetsOf(cli: Cli, cs: Clientset, args: string[], f: DeleteFlags): Promise<Target[]> {
  if (f.filename && f.filename.length > 0) {
    if (args.length > 0) throw new CliError("resource(s) were provided, but no name was specified");
    return readManifests(f.filename, Boolean(f.recursive)).map((d) => {
      const m = identify(d, cli.namespace);
      return { info: m.info, name: m.name, namespace: m.namespace, source: m.source };
    });
  }
  if (args.length === 0) {
    throw new CliError(`You must provide one or more resources by argument or filename.`);
  }
  const out: Target[] = [];
  for (const t of parseResourceArgs(args)) {
    const ns = t.info.namespaced ? (f.allNamespaces ? "" : cli.namespace) : "";
    if (t.names.length > 0) {
      if (f.selector || f.all) throw new CliError("name cannot be provided when a selector is specified");
      out.push(...t.names.map((name) => ({ info: t.info, name, namespace: ns })));
      continue;
    }
    if (!f.selector && !f.all) {
      throw new CliError(`resource(s) were provided, but no name was specified`);
    }
    const list = await cs.resource(t.info.kind).list({ namespace: ns, labelSelector: f.selector ?? "" });
    out.push(
      ...list.items.map((o) => ({ info: t.info, name: o.metadata?.name ?? "", namespace: t.info.namespaced ? (o.metadata?.namespace ?? ns) : "" })),
    );
  }
  return out;
}

export async function del(cli: Cli, args: string[], f: DeleteFlags): Promise<void> {
  const propagationPolicy = parseCascade(f.cascade);
  const force = Boolean(f.force);
  let grace: number | undefined = f.gracePeriod === undefined ? undefined : Number(f.gracePeriod);
  if (grace !== undefined && (!Number.isInteger(grace) || grace < -1)) {
    throw new CliError(`invalid argument "${f.gracePeriod}" for "--grace-period" flag: must be an integer`);
  }
  if (grace === -1) grace = undefined;
  if (force && grace === undefined) grace = 0;
  // As kubectl: --grace-period=0 without --force means "as soon as possible", i.e. 1 s.
  if (grace === 0 && !force) grace = 1;
  const wait = parseBool(f.wait, "--wait", true);
  const timeoutMs = f.timeout ? parseDuration(f.timeout, "--timeout") : 0;
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;

  const cs = await cli.client();
  const targets = await targetsOf(cli, cs, args, f);
  if (targets.length === 0) {
    cli.out("No resources found\n");
    return;
  }
  if (force) cli.err(`${FORCE_WARNING}\n`);
  const errors: CliError[] = [];
  const pending: { t: Target; uid: string }[] = [];
  for (const t of targets) {
    try {
      const res = await cs.resource(t.info.kind).delete(t.name, t.namespace, {
        propagationPolicy,
        ...(grace === undefined ? {} : { gracePeriodSeconds: grace }),
      });
      cli.out(`${quotedRef(t.info, t.name)} ${force && grace === 0 ? "force deleted" : "deleted"}\n`);
      pending.push({ t, uid: res.object?.metadata?.uid ?? "" });
    } catch (err) {
      if (err instanceof NotFoundError) {
        if (f.ignoreNotFound) continue;
        const line = notFoundLine(t.info, t.name);
        errors.push(
          new CliError(t.source ? line.replace("): ", `): error when deleting "${t.source}": `) : line, { raw: true }),
        );
        continue;
      }
      errors.push(toCliError(err, cli.server));
    }
  }
  if (wait) {
    for (const p of pending) await waitGone(cs, p.t, p.uid, deadline);
  }
  if (errors.length > 0) {
    for (const e of errors.slice(0, -1)) cli.err(`${e.line}\n`);
    throw errors[errors.length - 1]!;
  }
}
