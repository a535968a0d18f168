// mkctl diff -f FILE|DIR|- [-R]: what apply would change, as kubectl diff shows it. For each object
// the live one is read and the merged one is what the server answers to the apply it would get, sent
// as a dry run (the three-way strategic merge patch for an object that exists, a create otherwise):
// defaults, validation and admission are the server's, and nothing is written. Both are written as
// YAML (managedFields left out, Secret values masked) to two temp dirs named like kubectl's,
// /tmp/LIVE-…/apps.v1.Deployment.default.web and /tmp/MERGED-…/…, then `diff -u -N` (or
// KUBECTL_EXTERNAL_DIFF) runs on them. Exit code as kubectl's: 0 no differences, 1 differences,
// 2 (more) for an error.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotFoundError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, toCliError } from "../errors.js";
import { maskSecrets } from "../diff/mask.js";
import { runDiff } from "../diff/program.js";
import { type Manifest, readManifestDocs } from "../manifest.js";
import { readLastApplied, threeWayPatch } from "../merge.js";
import { cloneJson, isObject, type JsonObject, toK8s } from "../objects.js";
import { printYaml } from "../printers/yaml.js";
import { type FileFlags, identifyAll, objectOf, Schema } from "./file-objects.js";

export type DiffFlags = FileFlags;

/** kubectl's file name: `[group.]version.Kind.namespace.name`. */
function fileName(m: Manifest): string {
  const version = m.info.apiVersion.split("/").pop() ?? "";
  return `${m.info.group ? `${m.info.group}.` : ""}${version}.${m.info.kind}.${m.namespace}.${m.name}`;
}

function withoutManagedFields(obj: JsonObject | undefined): JsonObject | undefined {
  if (!obj) return undefined;
  const copy = cloneJson(obj);
  if (isObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

/** The live object (undefined: none) and the object the server would make of the manifest. */
async function liveAndMerged(cli: Cli, schema: Schema, m: Manifest): Promise<{ live: JsonObject | undefined; merged: JsonObject }> {
  const cs = await cli.client();
  const client = cs.resource(m.info.kind);
  const local = objectOf(schema, m);
  const current = await client.get(m.name, m.namespace).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  if (!current) return { live: undefined, merged: toK8s(m.info, await client.create(local, { dryRun: true })) };
  const live = toK8s(m.info, current);
  // apply's patch, without recording the manifest as last applied (kubectl diff's annotate=false).
  const modified = toK8s(m.info, local);
  delete modified.status;
  const patch = threeWayPatch(m.info.kind, readLastApplied(live), modified, live);
  const merged = Object.keys(patch).length === 0 ? live : toK8s(m.info, await client.patch(m.name, m.namespace, "strategic", patch, { dryRun: true }));
  return { live, merged };
}

async function writeVersions(cli: Cli, f: DiffFlags, liveDir: string, mergedDir: string): Promise<void> {
  if (!f.filename || f.filename.length === 0) throw new CliError("must specify one of -f and -k");
  const manifests = identifyAll(cli, readManifestDocs(f.filename, Boolean(f.recursive)));
  const schema = Schema.load();
  for (const m of manifests) {
    const versions = await liveAndMerged(cli, schema, m);
    const live = withoutManagedFields(versions.live);
    const merged = withoutManagedFields(versions.merged);
    // kubectl's masker turns a missing Secret into `null` (its YAML of a nil object); other kinds leave the file empty.
    const secret = m.info.kind === "Secret";
    if (secret) maskSecrets(live, merged);
    writeFileSync(join(liveDir, fileName(m)), live ? printYaml(live) : secret ? "null\n" : "");
    writeFileSync(join(mergedDir, fileName(m)), printYaml(merged ?? {}));
  }
}

export async function diff(cli: Cli, f: DiffFlags): Promise<void> {
  const liveDir = mkdtempSync(join(tmpdir(), "LIVE-"));
  const mergedDir = mkdtempSync(join(tmpdir(), "MERGED-"));
  try {
    let code: number;
    try {
      await writeVersions(cli, f, liveDir, mergedDir);
      code = runDiff(liveDir, mergedDir);
    } catch (err) {
      // kubectl diff's errors exit 2: 1 means "differences found".
      throw new CliError(toCliError(err, cli.server).line, { raw: true, exitCode: 2, cause: err });
    }
    if (code === 1) throw new CliError("", { raw: true, exitCode: 1 });
    if (code > 1) throw new CliError(`error: exit status ${code}`, { raw: true, exitCode: code + 1 });
  } finally {
    rmSync(liveDir, { recursive: true, force: true });
    rmSync(mergedDir, { recursive: true, force: true });
  }
}
