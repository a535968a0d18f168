// mkctl get -f FILE|DIR|-: the objects the manifests name, read from the server (each in its
// manifest's namespace), grouped by kind in file order as kubectl prints them.
import { NotFoundError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import type { Printed } from "../printers/index.js";
import { notFoundLine } from "../resources.js";
import { type FileFlags, manifestsOf } from "./file-objects.js";

export async function getFromFiles(cli: Cli, f: FileFlags & { ignoreNotFound?: boolean }): Promise<{ groups: Printed[]; errors: string[]; single: boolean }> {
  const manifests = manifestsOf(cli, f, "get");
  const cs = await cli.client();
  const groups: Printed[] = [];
  const errors: string[] = [];
  for (const m of manifests) {
    let last = groups[groups.length - 1];
    if (!last || last.info.kind !== m.info.kind) {
      last = { info: m.info, objects: [] };
      groups.push(last);
    }
    try {
      last.objects.push(await cs.resource(m.info.kind).get(m.name, m.namespace));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      if (!f.ignoreNotFound) errors.push(notFoundLine(m.info, m.name));
    }
  }
  return { groups, errors, single: manifests.length === 1 };
}
