// mkctl patch TYPE NAME | TYPE/NAME (-p PATCH | --patch-file FILE) [--type strategic|merge|json]
// [--subresource status] [--dry-run server]: the server applies the patch (the API's Patch call, the
// same semantics as kubectl's PATCH over HTTP) and mkctl prints kubectl's line,
// `deployment.apps/web patched`, or `… patched (no change)` when the object stayed as it was.
import { readFileSync } from "node:fs";
import { isPatchType, type PatchType } from "@mk/proto/api";
import { NotFoundError } from "@mk/proto/client";
import { parse } from "yaml";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import { notFoundLine, parseResourceArgs, refName } from "../resources.js";

export interface PatchFlags {
  patch?: string;
  patchFile?: string;
  type?: string;
  subresource?: string;
  dryRun?: string;
}

/** The patch text as JSON: kubectl takes YAML too (`-p 'spec: {replicas: 2}'`). */
function patchDocument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // not JSON: YAML, as kubectl's yaml.ToJSON reads it
  }
  try {
    return parse(text) as unknown;
  } catch (err) {
    throw new CliError(`unable to parse "${text}": ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
}

export async function patch(cli: Cli, args: string[], f: PatchFlags): Promise<void> {
  const type = f.type ?? "strategic";
  if (!isPatchType(type)) throw new CliError(`--type must be one of [json merge strategic], not "${type}"`);
  if (f.patch !== undefined && f.patchFile !== undefined) throw new CliError("cannot specify --patch and --patch-file together");
  const text = f.patchFile !== undefined ? readFileSync(f.patchFile, "utf8") : f.patch;
  if (text === undefined || text === "") throw new CliError("must specify --patch or --patch-file containing the contents of the patch");
  const subresource = f.subresource ?? "";
  if (subresource !== "" && subresource !== "status") throw new CliError(`invalid subresource value: "${subresource}". Must be one of [status]`);
  if (f.dryRun !== undefined && f.dryRun !== "none" && f.dryRun !== "server") throw new CliError(`Invalid dry-run value (${f.dryRun}). mkctl patch takes "none" or "server".`);
  const document = patchDocument(text);
  const targets = parseResourceArgs(args);
  const names = targets.flatMap((t) => t.names.map((name) => ({ info: t.info, name })));
  if (names.length === 0) throw new CliError("resource(s) were provided, but no name was specified");
  const dryRun = f.dryRun === "server";
  const cs = await cli.client();
  for (const { info, name } of names) {
    const client = cs.resource(info.kind);
    try {
      const before = await client.get(name, cli.namespace);
      const after = await client.patch(name, cli.namespace, type as PatchType, document, { dryRun, subresource: subresource as "" | "status" });
      const changed = after.metadata?.resourceVersion !== before.metadata?.resourceVersion || (dryRun && JSON.stringify(after) !== JSON.stringify(before));
      cli.out(`${refName(info, name)} patched${changed ? "" : " (no change)"}${dryRun ? " (server dry run)" : ""}\n`);
    } catch (err) {
      if (err instanceof NotFoundError) throw new CliError(notFoundLine(info, name), { raw: true, cause: err });
      throw err;
    }
  }
}
