// mkctl create -f FILE|DIR|- [-R] [--dry-run] [-o yaml|json|name] [--save-config]: creates every
// object of the manifests, as kubectl create does: `deployment.apps/web created`, and for one that
// exists `Error from server (AlreadyExists): error when creating "web.yaml": deployments.apps "web"
// already exists`, the others created all the same.
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import { withLastApplied } from "../merge.js";
import { fromK8s, toK8s } from "../objects.js";
import { printJson } from "../printers/json.js";
import { printYaml } from "../printers/yaml.js";
import { refName } from "../resources.js";
import { parseDryRun } from "./apply.js";
import { type FileFlags, forEachManifest, manifestsOf, objectOf, Schema, sourceError } from "./file-objects.js";

export interface CreateFileFlags extends FileFlags {
  dryRun?: string;
  output?: string;
  saveConfig?: boolean;
}

const OUTPUTS = ["", "yaml", "json", "name"];

export async function createFromFiles(cli: Cli, args: string[], f: CreateFileFlags): Promise<void> {
  if (args.length > 0) throw new CliError(`Unexpected args: [${args.join(" ")}]\nSee 'mkctl create -h' for help and examples`);
  const output = f.output ?? "";
  if (!OUTPUTS.includes(output)) {
    throw new CliError(`unable to match a printer suitable for the output format "${output}", allowed formats are: json,name,yaml`);
  }
  const dryRun = parseDryRun(f.dryRun);
  const manifests = manifestsOf(cli, f, "create", false);
  const schema = Schema.load();
  const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";
  const cs = dryRun === "client" ? undefined : await cli.client();
  await forEachManifest(cli, manifests, async (m) => {
    let obj = objectOf(schema, m);
    if (f.saveConfig) obj = fromK8s(m.info, withLastApplied(toK8s(m.info, obj)));
    let created = obj;
    if (cs) {
      try {
        created = await cs.resource(m.info.kind).create(obj, { dryRun: dryRun === "server" });
      } catch (err) {
        throw sourceError(err, m, "creating", cli.server);
      }
    }
    const json = toK8s(m.info, created);
    if (output === "yaml") return `${printYaml(json)}`;
    if (output === "json") return printJson(json);
    const name = refName(m.info, created.metadata?.name || m.name);
    return output === "name" ? `${name}\n` : `${name} created${suffix}\n`;
  });
}
