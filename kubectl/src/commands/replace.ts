// mkctl replace -f FILE|DIR|- [-R]: replaces each object with the manifest's (an update of the whole
// object; with the manifest's resourceVersion, if it has one, as a precondition). kubectl's lines:
// `deployment.apps/web replaced`, and `Error from server (NotFound): error when replacing "web.yaml":
// deployments.apps "web" not found` for one that does not exist.
import type { Cli } from "../cli.js";
import { refName } from "../resources.js";
import { parseDryRun } from "./apply.js";
import { type FileFlags, forEachManifest, manifestsOf, objectOf, Schema, sourceError } from "./file-objects.js";

export interface ReplaceFlags extends FileFlags {
  dryRun?: string;
}

export async function replace(cli: Cli, f: ReplaceFlags): Promise<void> {
  const dryRun = parseDryRun(f.dryRun);
  const manifests = manifestsOf(cli, f, "replace");
  const schema = Schema.load();
  const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";
  const cs = await cli.client();
  await forEachManifest(cli, manifests, async (m) => {
    const obj = objectOf(schema, m);
    if (dryRun !== "client") {
      try {
        await cs.resource(m.info.kind).update(obj, { dryRun: dryRun === "server" });
      } catch (err) {
        throw sourceError(err, m, "replacing", cli.server);
      }
    }
    return `${refName(m.info, m.name)} replaced${suffix}\n`;
  });
}
