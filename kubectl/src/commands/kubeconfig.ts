// mkctl config view|get-contexts|get-clusters|get-users|current-context|use-context|set-context: the
// config file (--kubeconfig, MK_CONFIG or ~/.mk/config) read and written as kubectl does its
// kubeconfig. The file is handled as a document, so fields mkctl itself does not use (tokens, exec
// plugins, extensions) survive a use-context; written back with kubectl's layout (keys sorted,
// entries by name, `preferences: {}`).
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { parse } from "yaml";
import type { Cli } from "../cli.js";
import { defaultConfigPath } from "../config.js";
import { CliError } from "../errors.js";
import { isObject, type Json, type JsonObject } from "../objects.js";
import { printJson } from "../printers/json.js";
import { printJsonpath } from "../printers/jsonpath.js";
import { formatTable } from "../printers/tabwriter.js";
import { printYaml } from "../printers/yaml.js";

const LISTS = ["clusters", "contexts", "users"] as const;
type ListName = (typeof LISTS)[number];
/** The entry's own key inside each list: `- name: x\n  cluster: {…}`. */
const INNER: Record<ListName, string> = { clusters: "cluster", contexts: "context", users: "user" };

function pathOf(cli: Cli): string {
  return cli.flags.kubeconfig || defaultConfigPath();
}

function load(path: string): JsonObject {
  if (!existsSync(path)) return {};
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new CliError(`error loading config file "${path}": ${(err as Error).message}`);
  }
  return isObject(doc) ? doc : {};
}

function entries(doc: JsonObject, list: ListName): JsonObject[] {
  const v = doc[list];
  return Array.isArray(v) ? v.filter(isObject) : [];
}

const nameOf = (e: JsonObject) => (typeof e.name === "string" ? e.name : "");
const byName = (a: JsonObject, b: JsonObject) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0);

function sortDeep(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v).sort()) out[k] = sortDeep(v[k] as Json);
  return out;
}

/** kubectl's layout of a config: every list by name (null when empty), preferences, keys sorted. */
function normalized(doc: JsonObject): JsonObject {
  const out: JsonObject = { ...doc, apiVersion: doc.apiVersion ?? "v1", kind: doc.kind ?? "Config" };
  out.preferences = isObject(doc.preferences) ? doc.preferences : {};
  out["current-context"] = typeof doc["current-context"] === "string" ? doc["current-context"] : "";
  for (const list of LISTS) {
    const e = entries(doc, list);
    out[list] = e.length === 0 ? null : [...e].sort(byName);
  }
  return sortDeep(out) as JsonObject;
}

/** What kubectl shows instead of secrets: certificate and key data, tokens and passwords. */
function redacted(doc: JsonObject): JsonObject {
  const out = structuredClone(doc);
  for (const list of ["clusters", "users"] as const) {
    for (const e of entries(out, list)) {
      const inner = e[INNER[list]];
      if (!isObject(inner)) continue;
      for (const k of Object.keys(inner)) {
        if (k.endsWith("-data")) inner[k] = "DATA+OMITTED";
        else if (k === "token" || k === "password") inner[k] = "REDACTED";
      }
    }
  }
  return out;
}

/** Only the current context, its cluster and its user (--minify). */
function minified(doc: JsonObject): JsonObject {
  const current = doc["current-context"];
  if (typeof current !== "string" || current === "") throw new CliError("current-context must exist in order to minify");
  const ctx = entries(doc, "contexts").find((c) => nameOf(c) === current);
  if (!ctx) throw new CliError(`cannot locate context ${current}`);
  const inner = isObject(ctx.context) ? ctx.context : {};
  const keep = (list: ListName, name: Json | undefined) => {
    const found = entries(doc, list).filter((e) => nameOf(e) === name);
    return found.length > 0 ? found : null;
  };
  return { ...doc, contexts: [ctx], clusters: keep("clusters", inner.cluster), users: keep("users", inner.user) };
}

/** Go's field order of a Config (and of its entries), which -o json prints. */
const JSON_ORDER: Record<string, string[]> = {
  "": ["kind", "apiVersion", "preferences", "clusters", "users", "contexts", "current-context", "extensions"],
  entry: ["name", "cluster", "user", "context"],
  cluster: ["server", "tls-server-name", "insecure-skip-tls-verify", "certificate-authority", "certificate-authority-data", "proxy-url", "disable-compression", "extensions"],
  context: ["cluster", "user", "namespace", "extensions"],
};

function ordered(v: JsonObject, order: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of order) if (v[k] !== undefined) out[k] = v[k] as Json;
  for (const k of Object.keys(v)) if (!(k in out)) out[k] = v[k] as Json;
  return out;
}

function goJson(doc: JsonObject): JsonObject {
  const out = ordered(doc, JSON_ORDER[""] ?? []);
  for (const list of LISTS) {
    const e = out[list];
    if (!Array.isArray(e)) continue;
    out[list] = e.filter(isObject).map((entry) => {
      const o = ordered(entry, JSON_ORDER.entry ?? []);
      const inner = o[INNER[list]];
      if (isObject(inner) && JSON_ORDER[INNER[list]]) o[INNER[list]] = ordered(inner, JSON_ORDER[INNER[list]] ?? []);
      return o;
    });
  }
  return out;
}

export interface ViewFlags {
  output?: string;
  minify?: boolean;
  raw?: boolean;
}

export async function view(cli: Cli, f: ViewFlags): Promise<void> {
  let doc = normalized(load(pathOf(cli)));
  if (f.minify) doc = normalized(minified(doc));
  if (!f.raw) doc = redacted(doc);
  const output = f.output ?? "yaml";
  if (output === "yaml") cli.out(printYaml(doc));
  else if (output === "json") cli.out(printJson(goJson(doc)));
  else if (output.startsWith("jsonpath=")) cli.out(printJsonpath(output.slice("jsonpath=".length), doc));
  else throw new CliError(`unable to match a printer suitable for the output format "${output}", allowed formats are: json,jsonpath,yaml`);
}

export async function getContexts(cli: Cli, names: string[], f: { output?: string; headers: boolean }): Promise<void> {
  if (f.output !== undefined && f.output !== "name") throw new CliError(`output must be one of '' or 'name': ${f.output}`);
  const doc = load(pathOf(cli));
  const current = doc["current-context"];
  const all = [...entries(doc, "contexts")].sort(byName);
  const shown = names.length === 0 ? all : all.filter((c) => names.includes(nameOf(c)));
  const missing = names.filter((n) => !all.some((c) => nameOf(c) === n));
  if (f.output === "name") cli.out(shown.map((c) => `${nameOf(c)}\n`).join(""));
  else {
    const rows = shown.map((c) => {
      const inner = isObject(c.context) ? c.context : {};
      const cell = (k: string) => (typeof inner[k] === "string" ? (inner[k] as string) : "");
      return [nameOf(c) === current ? "*" : "", nameOf(c), cell("cluster"), cell("user"), cell("namespace")];
    });
    cli.out(formatTable(f.headers ? [["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"], ...rows] : rows));
  }
  if (missing.length > 0) throw new CliError(missing.map((n) => `context ${n} not found`).join("\n"));
}

/** get-clusters, get-users: NAME and the names. */
export function listNames(list: "clusters" | "users"): (cli: Cli) => Promise<void> {
  return async (cli) => {
    const names = entries(load(pathOf(cli)), list).map(nameOf).sort();
    cli.out(`NAME\n${names.map((n) => `${n}\n`).join("")}`);
  };
}

export async function currentContext(cli: Cli): Promise<void> {
  const current = load(pathOf(cli))["current-context"];
  if (typeof current !== "string" || current === "") throw new CliError("current-context is not set");
  cli.out(`${current}\n`);
}

function save(path: string, doc: JsonObject): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, printYaml(normalized(doc)), { mode: 0o600 });
  renameSync(tmp, path);
}

export async function useContext(cli: Cli, name: string): Promise<void> {
  const path = pathOf(cli);
  const doc = load(path);
  if (!entries(doc, "contexts").some((c) => nameOf(c) === name)) throw new CliError(`no context exists with the name: "${name}"`);
  doc["current-context"] = name;
  save(path, doc);
  cli.out(`Switched to context "${name}".\n`);
}

export interface SetContextFlags {
  current?: boolean;
  cluster?: string;
  user?: string;
  namespace?: string;
}

export async function setContext(cli: Cli, args: string[], f: SetContextFlags): Promise<void> {
  const path = pathOf(cli);
  const doc = load(path);
  if (args.length > 1) throw new CliError(`Unexpected args: [${args.slice(1).join(" ")}]`);
  let name = args[0] ?? "";
  if (f.current) {
    if (name) throw new CliError("you cannot specify both a context name and --current");
    name = typeof doc["current-context"] === "string" ? doc["current-context"] : "";
    if (!name) throw new CliError("no current context is set");
  }
  if (!name) throw new CliError("you must specify a non-empty context name or --current");
  const list = entries(doc, "contexts");
  let entry = list.find((c) => nameOf(c) === name);
  const created = !entry;
  if (!entry) {
    entry = { name, context: { cluster: "", user: "" } };
    list.push(entry);
  }
  const inner: JsonObject = isObject(entry.context) ? entry.context : {};
  entry.context = inner;
  if (f.cluster !== undefined) inner.cluster = f.cluster;
  if (f.user !== undefined) inner.user = f.user;
  // kubectl refuses -n here; mkctl takes its global -n as --namespace.
  const ns = f.namespace ?? cli.flags.namespace;
  if (ns !== undefined) inner.namespace = ns;
  doc.contexts = list;
  save(path, doc);
  cli.out(`Context "${name}" ${created ? "created" : "modified"}.\n`);
}
