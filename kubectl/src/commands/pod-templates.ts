// What set env and set resources share: the objects the arguments name (TYPE/NAME or TYPE NAME…,
// before the changes), the pod spec each holds (a Deployment's, ReplicaSet's or Job's template, a
// Pod's own), and one read-modify-update per object, retried on a conflict (the read resourceVersion
// travels with the update), with kubectl's line when something changed.
import type { Container, PodSpec } from "@mk/proto";
import type { AnyObject, KindInfo } from "@mk/proto/api";
import { type Clientset, NotFoundError, retryOnConflict } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import { notFoundLine, parseResourceArgs, refName } from "../resources.js";

const WITH_TEMPLATES = new Set(["Deployment", "ReplicaSet", "Job"]);

interface Templated {
  spec?: { template?: { spec?: PodSpec } };
}

/** The pod spec an object carries, or undefined for a kind without one. */
export function podSpecOf(info: KindInfo, obj: AnyObject): PodSpec | undefined {
  if (info.kind === "Pod") return (obj as { spec?: PodSpec }).spec;
  if (WITH_TEMPLATES.has(info.kind)) return (obj as Templated).spec?.template?.spec;
  return undefined;
}

/** The containers a -c/--containers pattern picks (`*` wildcards, as kubectl's), init containers too. */
export function pickContainers(spec: PodSpec, pattern: string | undefined): Container[] {
  const all = [...spec.initContainers, ...spec.containers];
  if (!pattern || pattern === "*") return spec.containers;
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return all.filter((c) => re.test(c.name));
}

export interface Target {
  info: KindInfo;
  name: string;
}

/** TYPE/NAME… or TYPE NAME…, each named. */
export function targetsOf(resources: readonly string[]): Target[] {
  if (resources.length === 0) throw new CliError("one or more resources must be specified as <resource> <name> or <resource>/<name>");
  const out: Target[] = [];
  for (const t of parseResourceArgs(resources)) {
    if (t.names.length === 0) throw new CliError("resource(s) were provided, but no name was specified");
    for (const name of t.names) out.push({ info: t.info, name });
  }
  return out;
}

/**
 * Changes each object's pod spec with `change` (which returns whether it changed anything) and
 * prints `deployment.apps/web <done>` for each one that changed.
 */
export async function updatePodSpecs(cli: Cli, cs: Clientset, targets: readonly Target[], done: string, change: (spec: PodSpec, t: Target) => boolean): Promise<void> {
  for (const t of targets) {
    const ns = t.info.namespaced ? cli.namespace : "";
    const client = cs.resource(t.info.kind);
    const changed = await retryOnConflict(async () => {
      let obj: AnyObject;
      try {
        obj = await client.get(t.name, ns);
      } catch (err) {
        if (err instanceof NotFoundError) throw new CliError(notFoundLine(t.info, t.name), { raw: true, cause: err });
        throw err;
      }
      const spec = podSpecOf(t.info, obj);
      if (!spec) throw new CliError(`cannot set a pod template on ${refName(t.info, t.name)}: it has none`);
      if (!change(spec, t)) return false;
      await client.update(obj);
      return true;
    });
    if (changed) cli.out(`${refName(t.info, t.name)} ${done}\n`);
  }
}
