// Manifests for apply/delete -f: files, directories (their .yaml/.yml/.json files) and stdin ("-"),
// several YAML documents per file, `kind: List` expanded; each document identified by its
// apiVersion and kind against the kinds table.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type KindInfo, lookupKind } from "@mk/proto/api";
import { parseAllDocuments } from "yaml";
import { CliError } from "./errors.js";
import { isObject, type JsonObject } from "./objects.js";

export interface ManifestDoc {
  /** The file name, or "STDIN". */
  source: string;
  doc: JsonObject;
}

export interface Manifest extends ManifestDoc {
  info: KindInfo;
  name: string;
  namespace: string;
}

function readStdin(): string {
  try {
    return readFileSync(0, "utf8");
  } catch (err) {
    throw new CliError(`unable to read from stdin: ${(err as Error).message}`);
  }
}

function filesOf(path: string, recursive: boolean): string[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new CliError(`the path "${path}" does not exist`);
  }
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(path, entry.name);
    if (entry.isDirectory()) {
      if (recursive) out.push(...filesOf(p, true));
    } else if (/\.(ya?ml|json)$/.test(entry.name)) out.push(p);
  }
  return out;
}

/**
 * YAML 1.1's octal integers (`0400`), which kubectl's YAML reader keeps: a manifest's
 * `defaultMode: 0400` means 0o400 (256) there, where YAML 1.2 would read four hundred.
 */
const YAML11_OCTAL = {
  identify: (v: unknown) => typeof v === "number",
  default: true,
  tag: "tag:yaml.org,2002:int",
  format: "OCT",
  test: /^0[0-7]+$/,
  resolve: (s: string) => Number.parseInt(s, 8),
};

/** Parses one file's text into its documents (empty documents skipped, Lists expanded). */
export function parseManifestText(text: string, source: string): ManifestDoc[] {
  const out: ManifestDoc[] = [];
  for (const d of parseAllDocuments(text, { customTags: (tags) => [YAML11_OCTAL, ...tags] })) {
    if (d.errors.length > 0) {
      const e = d.errors[0]!;
      throw new CliError(`error parsing ${source}: ${e.message.split("\n")[0]}`);
    }
    const v: unknown = d.toJS();
    if (v === null || v === undefined) continue;
    if (!isObject(v)) throw new CliError(`error validating "${source}": error validating data: invalid object`);
    if (v.kind === "List" && Array.isArray(v.items)) {
      for (const item of v.items) {
        if (!isObject(item)) throw new CliError(`error validating "${source}": error validating data: invalid object`);
        out.push({ source, doc: item });
      }
    } else {
      out.push({ source, doc: v });
    }
  }
  return out;
}

export function readManifests(paths: readonly string[], recursive = false, verb = "apply"): ManifestDoc[] {
  const out = readManifestDocs(paths, recursive);
  if (out.length === 0) throw new CliError(`no objects passed to ${verb}`);
  return out;
}

/** The documents of -f, none allowed (kubectl's diff of an empty input is no difference). */
export function readManifestDocs(paths: readonly string[], recursive = false): ManifestDoc[] {
  const out: ManifestDoc[] = [];
  for (const p of paths) {
    if (p === "-") {
      out.push(...parseManifestText(readStdin(), "STDIN"));
      continue;
    }
    for (const f of filesOf(p, recursive)) {
      let text: string;
      try {
        text = readFileSync(f, "utf8");
      } catch (err) {
        throw new CliError(`unable to read "${f}": ${(err as Error).message}`);
      }
      out.push(...parseManifestText(text, f));
    }
  }
  return out;
}

/** Finds the kind of a document; the namespace defaults to the one given (for namespaced kinds). */
export function identify(m: ManifestDoc, defaultNamespace: string): Manifest {
  const { doc, source } = m;
  const apiVersion = typeof doc.apiVersion === "string" ? doc.apiVersion : "";
  const kind = typeof doc.kind === "string" ? doc.kind : "";
  if (!apiVersion) throw new CliError(`error validating "${source}": error validating data: apiVersion not set`);
  if (!kind) throw new CliError(`error validating "${source}": error validating data: kind not set`);
  const info = lookupKind(kind);
  if (!info || info.kind !== kind || info.apiVersion !== apiVersion) {
    throw new CliError(`unable to recognize "${source}": no matches for kind "${kind}" in version "${apiVersion}"`);
  }
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const name = typeof meta.name === "string" ? meta.name : "";
  const ns = typeof meta.namespace === "string" && meta.namespace ? meta.namespace : defaultNamespace;
  return { ...m, info, name, namespace: info.namespaced ? ns : "" };
}
