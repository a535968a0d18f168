// mkctl set image deployment/NAME CONTAINER=IMAGE … (`*=IMAGE` for every container): changes the
// template, which starts a rollout. kubectl's wording: `deployment.apps/web image updated`.
import { CHANGE_CAUSE_ANNOTATION, type Container, type Deployment, KINDS } from "@mk/proto";
import { NotFoundError, retryOnConflict } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import { notFoundLine, refName } from "../resources.js";
import { deploymentNames } from "./rollout.js";

const DEPLOYMENT = KINDS.Deployment;

/** Splits `web deploy/x c=img` into resources and CONTAINER=IMAGE pairs. */
export function splitImageArgs(args: readonly string[]): { resources: string[]; images: Map<string, string> } {
  const resources: string[] = [];
  const images = new Map<string, string>();
  for (const a of args) {
    const i = a.indexOf("=");
    if (i < 0) {
      if (images.size > 0) throw new CliError(`all resources must be specified before image changes: ${a}`);
      resources.push(a);
      continue;
    }
    const name = a.slice(0, i);
    const image = a.slice(i + 1);
    if (!name || !image) throw new CliError(`invalid image update: ${a}: want CONTAINER=IMAGE`);
    images.set(name, image);
  }
  if (images.size === 0) throw new CliError("at least one image update is required");
  if (resources.length === 0) throw new CliError("one or more resources must be specified as <resource> <name> or <resource>/<name>");
  return { resources, images };
}

/** Applies the pairs to the containers (and init containers); throws for a name no container has. */
export function applyImages(containers: Container[], initContainers: Container[], images: ReadonlyMap<string, string>): void {
  for (const [name, image] of images) {
    let found = false;
    for (const c of [...initContainers, ...containers]) {
      if (name === "*" || c.name === name) {
        c.image = image;
        found = true;
      }
    }
    if (!found) throw new CliError(`unable to find container named "${name}"`);
  }
}

export async function setImage(cli: Cli, args: string[], f: { record?: boolean }): Promise<void> {
  const { resources, images } = splitImageArgs(args);
  const cs = await cli.client();
  for (const name of deploymentNames(resources)) {
    await retryOnConflict(async () => {
      let d: Deployment;
      try {
        d = await cs.deployments.get(name, cli.namespace);
      } catch (err) {
        if (err instanceof NotFoundError) throw new CliError(notFoundLine(DEPLOYMENT, name), { raw: true, cause: err });
        throw err;
      }
      const spec = d.spec?.template?.spec;
      if (!spec) throw new CliError(`deployment "${name}" has no pod template`);
      applyImages(spec.containers, spec.initContainers, images);
      if (f.record && d.metadata) {
        d.metadata.annotations = { ...d.metadata.annotations, [CHANGE_CAUSE_ANNOTATION]: `mkctl set image ${args.join(" ")} --record=true` };
      }
      await cs.deployments.update(d);
    });
    cli.out(`${refName(DEPLOYMENT, name)} image updated\n`);
  }
}
