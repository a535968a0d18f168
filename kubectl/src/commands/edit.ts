// mkctl edit TYPE NAME | TYPE/NAME | TYPE [-o yaml|json]: kubectl's edit loop
// (k8s.io/kubectl/pkg/cmd/util/editor/editoptions.go). The objects are written to a temp file under
// kubectl's header and opened in the user's editor; what comes back is compared with what was
// written (comments and layout aside: unchanged is "Edit cancelled, no changes made."), and each
// object that changed is sent as the two-way strategic merge patch from the object as read to the
// object as saved (kubectl's CreateTwoWayMergePatch; apiVersion, kind and name must stay). A file
// that does not parse, or an object the server finds invalid, reopens the editor with the reasons at
// the top; saving that unchanged gives up with exit 1 and keeps the file. Nothing is written unless
// the server accepts a patch.
import { existsSync, rmSync } from "node:fs";
import type { KindInfo } from "@mk/proto/api";
import { ApiError, InvalidError, NotFoundError, formatFieldError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, toCliError } from "../errors.js";
import { defaultEditor, editTempFile } from "../edit/editor.js";
import { type EditReason, hasLines, headerText, manualStrip, stripComments } from "../edit/file.js";
import { identify, parseManifestText } from "../manifest.js";
import { twoWayPatch } from "../merge.js";
import { deepEqual, isObject, type JsonObject, listOf, toK8s } from "../objects.js";
import { printJson } from "../printers/json.js";
import { printYaml } from "../printers/yaml.js";
import { parseAllDocuments } from "yaml";
import { notFoundLine, parseResourceArgs, pluralRef, refName } from "../resources.js";

export interface EditFlags {
  output?: string;
}

/** One object as read from the server: what the file showed and what a patch is computed from. */
interface Original {
  info: KindInfo;
  name: string;
  namespace: string;
  json: JsonObject;
}

const NO_RESOURCES = `you must provide one or more resources by argument or filename.
Example resource specifications include:
   '-f rsrc.yaml'
   '--filename=rsrc.json'
   '<resource> <name>'
   '<resource>'`;

async function readOriginals(cli: Cli, args: string[]): Promise<Original[]> {
  const targets = parseResourceArgs(args);
  if (targets.length === 0) throw new CliError(NO_RESOURCES);
  const cs = await cli.client();
  const out: Original[] = [];
  for (const { info, names } of targets) {
    const client = cs.resource(info.kind);
    const namespace = info.namespaced ? cli.namespace : "";
    if (names.length === 0) {
      for (const obj of (await client.list({ namespace })).items) out.push({ info, name: obj.metadata?.name ?? "", namespace, json: toK8s(info, obj) });
      continue;
    }
    for (const name of names) {
      try {
        out.push({ info, name, namespace, json: toK8s(info, await client.get(name, namespace)) });
      } catch (err) {
        if (err instanceof NotFoundError) throw new CliError(notFoundLine(info, name), { raw: true, cause: err });
        throw err;
      }
    }
  }
  if (out.length === 0) throw new CliError("edit cancelled, no objects found");
  return out;
}

/** A metadata field of an object as read from JSON ("" when absent). */
function metaField(json: JsonObject, field: "uid" | "name"): string {
  const value = isObject(json.metadata) ? json.metadata[field] : undefined;
  return typeof value === "string" ? value : "";
}

/**
 * A file that is not YAML fails kubectl's validation step before anything is sent: the reason names
 * the first object, as kubectl's, and the YAML reader's complaint ("yaml: line 44: …"; the complaint's
 * own words are eemeli/yaml's, not Go's yaml.v2).
 */
function yamlError(text: string): string | undefined {
  for (const d of parseAllDocuments(manualStrip(text))) {
    const e = d.errors[0];
    if (e) return `yaml: line ${e.linePos?.[0].line ?? 0}: ${e.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "")}`;
  }
  return undefined;
}

/** The edited file's objects, or kubectl's "syntax error" reason when one cannot be decoded (no kind, an unknown kind). */
function parseEdited(text: string, namespace: string): { docs: { info: KindInfo; json: JsonObject }[] } | { reason: string } {
  try {
    return { docs: parseManifestText(manualStrip(text), "edited-file").map((d) => identify(d, namespace)).map((m) => ({ info: m.info, json: m.doc })) };
  } catch (err) {
    return { reason: `The edited file had a syntax error: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function render(originals: readonly Original[], format: "yaml" | "json"): string {
  const doc = originals.length === 1 ? (originals[0]?.json ?? {}) : listOf(originals.map((o) => o.json));
  return format === "json" ? printJson(doc) : printYaml(doc);
}

/** What one pass of sending the patches left: objects to edit again, and failures that end the edit. */
interface PassResult {
  again: Original[];
  reasons: EditReason[];
  retryable: number;
  notFound: number;
}

/** kubectl's preconditions on an edit: apiVersion, kind and name stay. */
function samePlace(original: JsonObject, edited: JsonObject): boolean {
  return original.apiVersion === edited.apiVersion && original.kind === edited.kind && metaField(original, "name") === metaField(edited, "name");
}

/** kubectl's printer for each object: `deployment.apps/web edited`, or the object itself with -o yaml|json. */
type Printer = (info: KindInfo, name: string, json: JsonObject, verb: "edited" | "skipped") => string;

function printerFor(output: string | undefined): Printer {
  if (output === "json") return (_i, _n, json) => printJson(json);
  if (output === "yaml") return (_i, _n, json) => printYaml(json);
  return (info, name, _json, verb) => `${refName(info, name)} ${verb}\n`;
}

async function sendPatches(cli: Cli, originals: readonly Original[], edited: { info: KindInfo; json: JsonObject }[], print: Printer, keep: (path?: string) => void): Promise<PassResult> {
  const result: PassResult = { again: [], reasons: [], retryable: 0, notFound: 0 };
  const cs = await cli.client();
  for (const e of edited) {
    // Matched by uid, as kubectl matches them.
    const original = originals.find((o) => metaField(o.json, "uid") === metaField(e.json, "uid"));
    if (!original) {
      keep();
      throw new CliError(`no original object found for ${e.info.kind} "${metaField(e.json, "name")}" (its metadata.uid was changed)`);
    }
    if (deepEqual(original.json, e.json)) {
      cli.out(print(original.info, original.name, e.json, "skipped"));
      continue;
    }
    if (!samePlace(original.json, e.json)) {
      keep();
      throw new CliError("At least one of apiVersion, kind and name was changed");
    }
    const what = `${pluralRef(original.info)} "${original.name}"`;
    try {
      const patched = await cs.resource(original.info.kind).patch(original.name, original.namespace, "strategic", twoWayPatch(original.info.kind, original.json, e.json));
      cli.out(print(original.info, original.name, toK8s(original.info, patched), "edited"));
    } catch (err) {
      if (err instanceof InvalidError) {
        result.again.push(original);
        result.reasons.push({ head: `${what} was not valid`, other: err.fields.map(formatFieldError) });
        cli.err(`error: ${what} is invalid\n`);
      } else if (err instanceof NotFoundError) {
        result.notFound++;
        cli.err(`error: ${what} could not be found on the server\n`);
      } else if (err instanceof ApiError) {
        result.retryable++;
        cli.err(`error: ${what} could not be patched: ${err.message}\n`);
      } else {
        throw err;
      }
    }
  }
  return result;
}

export async function edit(cli: Cli, args: string[], f: EditFlags): Promise<void> {
  const format = f.output ?? "yaml";
  if (format !== "yaml" && format !== "json") throw new CliError(`unable to match a printer suitable for the output format "${format}", allowed formats are: json,yaml`);
  const editor = defaultEditor();
  let originals = await readOriginals(cli, args);
  const ext = format === "json" ? ".json" : ".yaml";

  let reasons: EditReason[] = [];
  let containsError = false;
  let original = "";
  let edited = "";
  let file = "";
  /** kubectl's preservedFile: the user's work is not lost when the edit ends in an error. */
  const keep = (path = file) => {
    if (path && existsSync(path)) cli.err(`A copy of your changes has been stored to "${path}"\n`);
  };
  for (;;) {
    let text = headerText(reasons);
    if (containsError) {
      text += manualStrip(edited);
    } else {
      text += render(originals, format);
      original = text;
    }
    const previous = edited;
    let path: string;
    try {
      ({ path, edited } = editTempFile(editor, "mkctl-edit-", ext, text));
    } catch (err) {
      keep();
      throw err;
    }
    if (containsError && stripComments(previous) === stripComments(edited)) {
      // The last file is kept; the one before it holds the same text (kubectl leaves both behind).
      if (file) rmSync(file, { force: true });
      keep(path);
      throw new CliError("Edit cancelled, no valid changes were saved.");
    }
    if (file) rmSync(file, { force: true });
    file = path;
    if (stripComments(original) === stripComments(edited)) {
      rmSync(path, { force: true });
      cli.err("Edit cancelled, no changes made.\n");
      return;
    }
    if (!hasLines(edited)) {
      rmSync(path, { force: true });
      cli.err("Edit cancelled, saved file was empty.\n");
      return;
    }
    reasons = [];
    const invalidYaml = yamlError(edited);
    if (invalidYaml !== undefined) {
      // kubectl's validation step: the whole file is refused in the first object's name.
      const first = originals[0];
      const what = first ? `${pluralRef(first.info)} "${first.name}"` : "";
      cli.err(`error: ${what} is invalid\n`);
      containsError = true;
      reasons.push({ head: `${what} was not valid`, other: [`<nil>: Invalid value: "The edited file failed validation": ${invalidYaml}`] });
      continue;
    }
    const parsed = parseEdited(edited, cli.namespace);
    if ("reason" in parsed) {
      containsError = true;
      reasons.push({ head: parsed.reason, other: [] });
      continue;
    }
    let pass: PassResult;
    try {
      pass = await sendPatches(cli, originals, parsed.docs, printerFor(f.output), keep);
    } catch (err) {
      if (!(err instanceof CliError)) keep();
      throw toCliError(err, cli.server);
    }
    if (pass.retryable > 0) throw new CliError(`You can run \`mkctl replace -f ${file}\` to try this update again.`, { raw: true });
    if (pass.notFound > 0) throw new CliError(`The edits you made on deleted resources have been saved to "${file}"`, { raw: true });
    if (pass.again.length === 0) {
      rmSync(file, { force: true });
      return;
    }
    originals = pass.again;
    reasons = pass.reasons;
    containsError = true;
  }
}
