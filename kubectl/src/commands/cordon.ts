// mkctl cordon|uncordon NODE…: marks nodes (un)schedulable through spec.unschedulable, with kubectl's
// lines: `node/n1 cordoned`, `node/n1 already cordoned`, `node/n1 uncordoned`.
import type { Clientset } from "@mk/proto/client";
import { NotFoundError, retryOnConflict } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, serverError } from "../errors.js";

export interface CordonFlags {
  selector?: string;
}

/** Sets spec.unschedulable; false when it already had that value. */
export async function setUnschedulable(cs: Clientset, node: string, unschedulable: boolean): Promise<boolean> {
  return await retryOnConflict(async () => {
    const n = await cs.nodes.get(node);
    if ((n.spec?.unschedulable ?? false) === unschedulable) return false;
    n.spec = { taints: [], podCidr: "", podCidrs: [], providerId: "", ...n.spec, unschedulable };
    await cs.nodes.update(n);
    return true;
  });
}

/** The node names from arguments or a label selector (kubectl: one or the other). */
export async function nodeNames(cs: Clientset, args: readonly string[], selector: string | undefined, verb: string): Promise<string[]> {
  if (selector) {
    if (args.length > 0) throw new CliError("cannot specify both a node name and a selector");
    const list = await cs.nodes.list({ labelSelector: selector });
    if (list.items.length === 0) throw new CliError("No resources found", { raw: true });
    return list.items.map((n) => n.metadata?.name ?? "").sort();
  }
  if (args.length === 0) throw new CliError(`USAGE: ${verb} NODE [flags]`);
  return [...args];
}

export async function cordon(cli: Cli, args: string[], f: CordonFlags, unschedulable: boolean): Promise<void> {
  const cs = await cli.client();
  const verb = unschedulable ? "cordoned" : "uncordoned";
  for (const name of await nodeNames(cs, args, f.selector, unschedulable ? "cordon" : "uncordon")) {
    let changed: boolean;
    try {
      changed = await setUnschedulable(cs, name, unschedulable);
    } catch (err) {
      if (err instanceof NotFoundError) throw serverError("NotFound", `nodes "${name}" not found`, err);
      throw err;
    }
    cli.out(changed ? `node/${name} ${verb}\n` : `node/${name} already ${verb}\n`);
  }
}
