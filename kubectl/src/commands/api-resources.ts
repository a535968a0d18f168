// mkctl api-resources [--namespaced=BOOL] [--api-group=G] [--sort-by=name|kind] [-o wide|name]
// [--no-headers]: the API's resource types from the kinds table (the table the server's discovery is
// generated from), in kubectl's columns NAME SHORTNAMES APIVERSION NAMESPACED KIND and its order
// (by group, then name); the resources served beside the kinds (SelfSubjectAccessReview) too.
import { KIND_NAMES, type KindInfo, KINDS, VIRTUAL_RESOURCES } from "@mk/proto/api";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import { formatTable } from "../printers/tabwriter.js";

export interface ApiResourcesFlags {
  namespaced?: string;
  apiGroup?: string;
  sortBy?: string;
  output?: string;
  headers: boolean;
}

/** A row's source: a kind, or a resource served beside the kinds. */
interface Resource {
  plural: string;
  shortNames: readonly string[];
  group: string;
  apiVersion: string;
  namespaced: boolean;
  kind: string;
  verbs: readonly string[];
  categories: string;
}

/** The verbs every kind serves (the discovery document's). */
const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export async function apiResources(cli: Cli, f: ApiResourcesFlags): Promise<void> {
  if (f.output !== undefined && f.output !== "wide" && f.output !== "name") throw new CliError(`--output ${f.output} is not available`);
  if (f.sortBy !== undefined && f.sortBy !== "name" && f.sortBy !== "kind") throw new CliError(`--sort-by accepts only name or kind`);
  let kinds: Resource[] = [
    ...KIND_NAMES.map((k): Resource => ({ ...(KINDS[k] as KindInfo), verbs: VERBS, categories: "[all]" })),
    ...VIRTUAL_RESOURCES.map((r): Resource => ({ plural: r.plural, shortNames: [], group: r.group, apiVersion: `${r.group}/${r.version}`, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs, categories: "" })),
  ];
  if (f.namespaced !== undefined) {
    const want = /^(1|t|true)$/i.test(f.namespaced);
    kinds = kinds.filter((k) => k.namespaced === want);
  }
  if (f.apiGroup !== undefined) kinds = kinds.filter((k) => k.group === f.apiGroup);
  const key = (k: Resource) => (f.sortBy === "name" ? k.plural : f.sortBy === "kind" ? k.kind : k.group);
  kinds.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.plural < b.plural ? -1 : 1));
  if (f.output === "name") {
    cli.out(kinds.map((k) => `${k.group ? `${k.plural}.${k.group}` : k.plural}\n`).join(""));
    return;
  }
  const wide = f.output === "wide";
  const header = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", ...(wide ? ["VERBS", "CATEGORIES"] : [])];
  const rows = kinds.map((k) => [k.plural, k.shortNames.join(","), k.apiVersion, String(k.namespaced), k.kind, ...(wide ? [`[${k.verbs.join(" ")}]`, k.categories] : [])]);
  cli.out(formatTable(f.headers ? [header, ...rows] : rows));
}
