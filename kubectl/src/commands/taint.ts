// mkctl taint nodes NAME… KEY[=VALUE]:EFFECT… KEY[:EFFECT]-… [--overwrite] [-l SEL | --all]: kubectl's
// taint, its argument rules, messages and its way of merging (k8s.io/kubectl/pkg/cmd/taint): a taint
// is one per key and effect; `node/n1 tainted`, `untainted`, or `modified` when both happen.
import type { Node, Taint } from "@mk/proto";
import { labelKeyError, labelValueError } from "@mk/proto/api";
import { NotFoundError, retryOnConflict } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import { notFoundLine, refName, resolveKind } from "../resources.js";

export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

export interface TaintFlags {
  overwrite?: boolean;
  selector?: string;
  all?: boolean;
}

/** A taint to add (effect set) or to remove (effect optional: all of the key's). */
export type TaintSpec = Pick<Taint, "key" | "value" | "effect">;

function usage(message: string): CliError {
  return new CliError(`error: ${message}\nSee 'mkctl taint -h' for help and examples`, { raw: true });
}

/** apimachinery's regex hint after a qualified name's or a label value's character rule. */
const KEY_HINT = " (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_HINT = " (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function withHint(message: string, hint: string): string {
  return message.includes("must start and end with an alphanumeric character") ? `${message}${hint}` : message;
}

/** `KEY=VALUE:EFFECT`, `KEY:EFFECT` or `KEY` (the last only to remove). */
export function parseTaint(spec: string): TaintSpec {
  const parts = spec.split(":");
  let key = "";
  let value = "";
  let effect = "";
  if (parts.length === 1) key = parts[0] ?? "";
  else if (parts.length === 2) {
    effect = parts[1] ?? "";
    if (!(TAINT_EFFECTS as readonly string[]).includes(effect)) throw usage(`invalid taint effect: ${effect}, unsupported taint effect`);
    const kv = (parts[0] ?? "").split("=");
    if (kv.length > 2) throw usage(`invalid taint spec: ${spec}`);
    key = kv[0] ?? "";
    if (kv.length === 2) {
      value = kv[1] ?? "";
      const bad = labelValueError(value);
      if (bad) throw usage(`invalid taint spec: ${spec}, ${withHint(bad, VALUE_HINT)}`);
    }
  } else throw usage(`invalid taint spec: ${spec}`);
  const bad = labelKeyError(key);
  if (bad) throw usage(`invalid taint spec: ${spec}, ${withHint(bad, KEY_HINT)}`);
  return { key, value, effect };
}

/** Go's %v of a Taint, which kubectl prints in its duplicate message: `{k w NoSchedule <nil>}`. */
const goTaint = (t: TaintSpec) => `{${t.key} ${t.value} ${t.effect} <nil>}`;

/** kubectl's Taint.ToString: `k=v:E`, `k:E`, `k=v`, `k`. */
export function taintString(t: TaintSpec): string {
  const kv = t.value ? `${t.key}=${t.value}` : t.key;
  return t.effect ? `${kv}:${t.effect}` : kv;
}

export interface TaintArgs {
  resources: string[];
  add: TaintSpec[];
  remove: TaintSpec[];
}

/** Resources first, then taint changes, as kubectl's taint reads its arguments. */
export function splitTaintArgs(args: readonly string[]): TaintArgs {
  const resources: string[] = [];
  const specs: string[] = [];
  for (const a of args) {
    const isTaint = a.includes("=") || a.includes(":") || a.endsWith("-");
    if (isTaint) specs.push(a);
    else if (specs.length > 0) throw new CliError(`all resources must be specified before taint changes: ${a}`);
    else resources.push(a);
  }
  if (resources.length === 0) throw new CliError("one or more resources must be specified as <resource> <name>");
  if (specs.length === 0) throw new CliError("at least one taint update is required");
  const add: TaintSpec[] = [];
  const remove: TaintSpec[] = [];
  for (const s of specs) {
    if (s.endsWith("-")) {
      const t = parseTaint(s.slice(0, -1));
      remove.push({ key: t.key, value: "", effect: t.effect });
      continue;
    }
    const t = parseTaint(s);
    if (!t.effect) throw usage(`invalid taint spec: ${s}`);
    if (add.some((o) => o.key === t.key && o.effect === t.effect)) throw usage(`duplicated taints with the same key and effect: ${goTaint(t)}`);
    add.push(t);
  }
  const conflicts = remove
    .filter((r) => add.some((a) => a.key === r.key && (!r.effect || a.effect === r.effect)))
    .map((r) => `{"${r.key}":"${r.effect}"}`);
  if (conflicts.length > 0) throw new CliError(`can not both modify and remove the following taint(s) in the same command: ${conflicts.join(", ")}`);
  return { resources, add, remove };
}

const matches = (a: TaintSpec, b: TaintSpec) => a.key === b.key && a.effect === b.effect;

/**
 * The node's next taints and kubectl's word for the change: the added ones first (replacing any with
 * their key and effect), then the old ones kept, minus the removed ones. A removal that matches
 * nothing is an error (`taint "k:NoSchedule" not found`).
 */
export function reorganizeTaints(old: readonly Taint[], add: readonly TaintSpec[], remove: readonly TaintSpec[], overwrite: boolean): { taints: Taint[]; operation: string; errors: string[] } {
  let next: Taint[] = add.map((t) => ({ ...t, timeAdded: "" }));
  for (const o of old) if (!next.some((t) => matches(t, o))) next.push(o);
  const added = old.length !== next.length;
  const errors: string[] = [];
  let deleted = false;
  for (const r of remove) {
    const before = next.length;
    next = next.filter((t) => !(t.key === r.key && (!r.effect || t.effect === r.effect)));
    deleted = next.length !== before;
    if (!deleted) errors.push(`taint "${taintString(r)}" not found`);
  }
  const operation = (added && deleted) || overwrite ? "modified" : added ? "tainted" : "untainted";
  return { taints: next, operation, errors };
}

export async function taint(cli: Cli, args: string[], f: TaintFlags): Promise<void> {
  const { resources, add, remove } = splitTaintArgs(args);
  const type = resources[0] ?? "";
  if (!["node", "nodes"].includes(type.toLowerCase())) throw new CliError(`invalid resource type ${type}, only ["node" "nodes"] are supported`);
  const names = resources.slice(1);
  if (f.all && f.selector) throw new CliError("setting 'all' parameter with a label selector is not allowed");
  if (!f.all && !f.selector && names.length === 0) throw new CliError("at least one resource name must be specified since 'all' parameter is not set");
  const info = resolveKind("node");
  const cs = await cli.client();
  if (f.all || f.selector) {
    const list = await cs.nodes.list({ labelSelector: f.selector ?? "" });
    names.push(...list.items.map((n) => n.metadata?.name ?? ""));
  }
  for (const name of names) {
    const operation = await retryOnConflict(async () => {
      let node: Node;
      try {
        node = await cs.nodes.get(name);
      } catch (err) {
        if (err instanceof NotFoundError) throw new CliError(notFoundLine(info, name), { raw: true, cause: err });
        throw err;
      }
      node.spec ??= { unschedulable: false, taints: [], podCidr: "", podCidrs: [], providerId: "" };
      const old = node.spec.taints;
      if (!f.overwrite) {
        const existing = add.filter((t) => old.some((o) => matches(t, o))).map((t) => t.key);
        if (existing.length > 0) throw new CliError(`node ${name} already has ${existing.join(",")} taint(s) with same effect(s) and --overwrite is false`);
      }
      const next = reorganizeTaints(old, add, remove, Boolean(f.overwrite));
      if (next.errors.length > 0) throw new CliError(next.errors.length === 1 ? (next.errors[0] ?? "") : `[${next.errors.join(", ")}]`);
      node.spec.taints = next.taints;
      // The read resourceVersion travels with the node: a concurrent change is a conflict, retried.
      await cs.nodes.update(node);
      return next.operation;
    });
    cli.out(`${refName(info, name)} ${operation}\n`);
  }
}
