// mkctl label|annotate TYPE NAME… k=v k2- [--overwrite] [-l SEL | --all]
import type { AnyObject, KindInfo } from "@mk/proto/api";
import { NotFoundError, retryOnConflict } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import { notFoundLine, parseResourceArgs, refName } from "../resources.js";

type Field = "labels" | "annotations";

export interface LabelChanges {
  set: Map<string, string>;
  remove: string[];
}

/** Splits `k=v` and `k-` arguments from the resource arguments before them. */
export function splitChanges(args: readonly string[], what: string): { resources: string[]; changes: LabelChanges } {
  const set = new Map<string, string>();
  const remove: string[] = [];
  const resources: string[] = [];
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq > 0) set.set(a.slice(0, eq), a.slice(eq + 1));
    else if (a.endsWith("-") && a.length > 1 && !a.includes("/")) remove.push(a.slice(0, -1));
    else if (set.size > 0 || remove.length > 0) throw new CliError(`invalid ${what} spec: ${a}`);
    else resources.push(a);
  }
  if (set.size === 0 && remove.length === 0) throw new CliError(`at least one ${what} update is required`);
  for (const k of remove) if (set.has(k)) throw new CliError(`can not both modify and remove ${what} in the same command`);
  return { resources, changes: { set, remove } };
}

/** Applies the changes to a map; false when nothing changes. Throws when a value would be overwritten. */
export function applyChanges(current: { [k: string]: string }, c: LabelChanges, overwrite: boolean, what: string): boolean {
  let changed = false;
  for (const [k, v] of c.set) {
    if (Object.hasOwn(current, k) && current[k] !== v && !overwrite) {
      throw new CliError(`'${k}' already has a value (${current[k]}), and --overwrite is false`);
    }
    if (current[k] !== v) changed = true;
    current[k] = v;
  }
  for (const k of c.remove) {
    if (Object.hasOwn(current, k)) {
      delete current[k];
      changed = true;
    } else if (what === "label") {
      process.stderr.write(`label "${k}" not found.\n`);
    }
  }
  return changed;
}

export interface LabelFlags {
  overwrite?: boolean;
  selector?: string;
  all?: boolean;
}

export async function run(cli: Cli, field: Field, args: string[], f: LabelFlags): Promise<void> {
  const what = field === "labels" ? "label" : "annotation";
  const verb = field === "labels" ? "labeled" : "annotated";
  const { resources, changes } = splitChanges(args, what);
  if (resources.length === 0) throw new CliError("one or more resources must be specified as <resource> <name> or <resource>/<name>");
  const cs = await cli.client();
  const targets: { info: KindInfo; name: string; ns: string }[] = [];
  for (const t of parseResourceArgs(resources)) {
    const ns = t.info.namespaced ? cli.namespace : "";
    if (t.names.length > 0) targets.push(...t.names.map((name) => ({ info: t.info, name, ns })));
    else if (f.selector || f.all) {
      const list = await cs.resource(t.info.kind).list({ namespace: ns, labelSelector: f.selector ?? "" });
      targets.push(...list.items.map((o) => ({ info: t.info, name: o.metadata?.name ?? "", ns })));
    } else throw new CliError("resource(s) were provided, but no name was specified");
  }
  for (const t of targets) {
    const client = cs.resource(t.info.kind);
    const changed = await retryOnConflict(async () => {
      let obj: AnyObject;
      try {
        obj = await client.get(t.name, t.ns);
      } catch (err) {
        if (err instanceof NotFoundError) throw new CliError(notFoundLine(t.info, t.name), { raw: true, cause: err });
        throw err;
      }
      const meta = obj.metadata;
      if (!meta) return false;
      if (!applyChanges(meta[field], changes, Boolean(f.overwrite), what)) return false;
      await client.update(obj);
      return true;
    });
    // kubectl says "not labeled" when nothing changed; annotate always says "annotated".
    cli.out(`${refName(t.info, t.name)} ${changed || field === "annotations" ? verb : `not ${verb}`}\n`);
  }
}
