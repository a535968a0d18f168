// mkctl get TYPE[,TYPE…] [NAME…] | TYPE/NAME…  [-o wide|yaml|json|name|jsonpath=…] [-l] [-A] [-w]
import type { Event } from "@mk/proto";
import { type AnyObject, KIND_NAMES, type KindInfo, type KindName, KINDS } from "@mk/proto/api";
import { type Clientset, ExpiredError, NotFoundError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import { toK8s } from "../objects.js";
import { type OutputFormat, type Printed, parseOutput, printObjects } from "../printers/index.js";
import { printJson } from "../printers/json.js";
import { customColumnsRows } from "../printers/custom-columns.js";
import { printJsonpath } from "../printers/jsonpath.js";
import { sortByPath, sortTemplate } from "../printers/sort.js";
import { printName } from "../printers/name.js";
import { StreamingTable } from "../printers/tabwriter.js";
import { tableHeader, tableRow } from "../printers/table.js";
import { printYaml } from "../printers/yaml.js";
import { notFoundLine, parseResourceArgs, type ResourceTarget } from "../resources.js";

export interface GetFlags {
  output?: string;
  headers: boolean;
  showLabels?: boolean;
  selector?: string;
  fieldSelector?: string;
  allNamespaces?: boolean;
  watch?: boolean;
  watchOnly?: boolean;
  ignoreNotFound?: boolean;
  filename?: string[];
  recursive?: boolean;
  sortBy?: string;
  labelColumns?: string[];
  showKind?: boolean;
}

/** -L a,b -L c → [a, b, c] */
function labelColumnsOf(f: GetFlags): string[] {
  return (f.labelColumns ?? []).flatMap((v) => v.split(",")).filter((k) => k !== "");
}

/** --sort-by: each kind's objects ordered by the path's value in their JSON form. */
function sorted(groups: Printed[], f: GetFlags): Printed[] {
  if (!f.sortBy) return groups;
  const template = sortTemplate(f.sortBy);
  return groups.map((g) => ({ info: g.info, objects: sortByPath(g.objects, (o) => toK8s(g.info, o), template) }));
}

export const RESOURCE_TYPES = KIND_NAMES.map((k) => KINDS[k].plural);

function sortForDisplay(kind: KindName, objs: AnyObject[]): AnyObject[] {
  if (kind !== "Event") return objs;
  // Events read best oldest first; the server returns them in key (name) order.
  const at = (o: AnyObject) => {
    const e = o as Event;
    return Date.parse(e.lastTimestamp || e.firstTimestamp || e.metadata?.creationTimestamp || "") || 0;
  };
  return [...objs].sort((a, b) => at(a) - at(b));
}

async function fetchTarget(
  cs: Clientset,
  t: ResourceTarget,
  ns: string,
  f: GetFlags,
  errors: string[],
): Promise<AnyObject[]> {
  const client = cs.resource(t.info.kind);
  const namespace = t.info.namespaced ? ns : "";
  if (t.names.length > 0) {
    const out: AnyObject[] = [];
    for (const name of t.names) {
      try {
        out.push(await client.get(name, namespace));
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        if (!f.ignoreNotFound) errors.push(notFoundLine(t.info, name));
      }
    }
    return out;
  }
  const res = await client.list({ namespace, labelSelector: f.selector ?? "", fieldSelector: f.fieldSelector ?? "" });
  return sortForDisplay(t.info.kind, res.items);
}

function noResources(cli: Cli, targets: ResourceTarget[], f: GetFlags): string {
  const namespaced = targets.some((t) => t.info.namespaced);
  return f.allNamespaces || !namespaced ? "No resources found\n" : `No resources found in ${cli.namespace} namespace.\n`;
}

export async function get(cli: Cli, args: string[], f: GetFlags): Promise<void> {
  if (f.filename && f.filename.length > 0) {
    if (args.length > 0) throw new CliError("when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well");
    const { getFromFiles } = await import("./get-files.js");
    const format = parseOutput(f.output);
    if (f.sortBy) sortTemplate(f.sortBy);
    const { groups, errors, single } = await getFromFiles(cli, f);
    printGroups(cli, groups, errors, format, f, single);
    return;
  }
  if (args.length === 0) {
    throw new CliError(
      `You must specify the type of resource to get. Valid resource types: ${RESOURCE_TYPES.join(", ")}`,
    );
  }
  const format = parseOutput(f.output);
  if (f.sortBy) sortTemplate(f.sortBy);
  const targets = parseResourceArgs(args);
  if (f.watch || f.watchOnly) {
    if (targets.length !== 1) throw new CliError("you may only specify a single resource type");
    await watch(cli, targets[0]!, format, f);
    return;
  }
  const cs = await cli.client();
  const ns = f.allNamespaces ? "" : cli.namespace;
  const errors: string[] = [];
  const groups: Printed[] = [];
  for (const t of targets) groups.push({ info: t.info, objects: await fetchTarget(cs, t, ns, f, errors) });
  if (total(groups) === 0 && errors.length === 0 && format.type === "table" && !f.ignoreNotFound) {
    cli.err(noResources(cli, targets, f));
    return;
  }
  printGroups(cli, groups, errors, format, f, targets.length === 1 && targets[0]!.names.length === 1);
}

const total = (groups: readonly Printed[]) => groups.reduce((n, g) => n + g.objects.length, 0);

/** Prints what was found, then the not-found lines (failing with the last, as kubectl). */
function printGroups(cli: Cli, unsorted: Printed[], errors: string[], format: OutputFormat, f: GetFlags, single: boolean): void {
  const groups = sorted(unsorted, f);
  const found = total(groups);
  if (found > 0 || format.type !== "table") {
    if (!(found === 0 && (format.type === "name" || (single && errors.length > 0)))) {
      cli.out(
        printObjects(groups, format, {
          showLabels: Boolean(f.showLabels),
          allNamespaces: Boolean(f.allNamespaces),
          noHeaders: !f.headers,
          now: cli.now(),
          single,
          showKind: Boolean(f.showKind),
          labelColumns: labelColumnsOf(f),
        }),
      );
    }
  }
  if (errors.length > 0) {
    for (const e of errors.slice(0, -1)) cli.err(`${e}\n`);
    throw new CliError(errors[errors.length - 1]!, { raw: true });
  }
}

/** Prints the current objects, then one row (or document) per change until interrupted. */
async function watch(cli: Cli, t: ResourceTarget, format: OutputFormat, f: GetFlags): Promise<void> {
  const cs = await cli.client();
  const info: KindInfo = t.info;
  const client = cs.resource(info.kind);
  const namespace = info.namespaced && !f.allNamespaces ? cli.namespace : "";
  let fieldSelector = f.fieldSelector ?? "";
  if (t.names.length > 1) throw new CliError("watch is only supported on individual resources and resource collections, but 2 resources were found");
  if (t.names.length === 1) fieldSelector = [fieldSelector, `metadata.name=${t.names[0]}`].filter(Boolean).join(",");
  const tOpts = {
    wide: format.type === "table" && format.wide,
    showLabels: Boolean(f.showLabels),
    allNamespaces: Boolean(f.allNamespaces),
    noHeaders: !f.headers,
    withKind: Boolean(f.showKind),
    now: cli.now(),
    labelColumns: labelColumnsOf(f),
  };
  const table = new StreamingTable();
  let headerDone = !f.headers;
  const emit = (objs: AnyObject[]) => {
    if (objs.length === 0) return;
    switch (format.type) {
      case "table": {
        const rows = objs.map((o) => tableRow(info, o, { ...tOpts, now: cli.now() }));
        if (!headerDone) rows.unshift(tableHeader(info, tOpts));
        headerDone = true;
        cli.out(table.format(rows));
        return;
      }
      case "name":
        cli.out(printName(info, objs));
        return;
      case "yaml":
        for (const o of objs) cli.out(`---\n${printYaml(toK8s(info, o))}`);
        return;
      case "json":
        for (const o of objs) cli.out(printJson(toK8s(info, o)));
        return;
      case "jsonpath":
        for (const o of objs) cli.out(printJsonpath(format.template, toK8s(info, o)));
        return;
      case "custom-columns": {
        const rows = customColumnsRows(format.columns, objs.map((o) => toK8s(info, o)), headerDone);
        headerDone = true;
        cli.out(table.format(rows));
        return;
      }
    }
  };
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    for (;;) {
      const list = await client.list({ namespace, labelSelector: f.selector ?? "", fieldSelector });
      // With --watch-only the header comes with the first change.
      if (!f.watchOnly) emit(list.items);
      try {
        for await (const ev of client.watch({
          namespace,
          labelSelector: f.selector ?? "",
          fieldSelector,
          resourceVersion: list.resourceVersion,
          signal: ac.signal,
        })) {
          if (ev.type === "BOOKMARK") continue;
          emit([ev.object]);
        }
        return;
      } catch (err) {
        // The server compacted past our version: list again (quietly, as kubectl's reflector).
        if (!(err instanceof ExpiredError)) throw err;
        f = { ...f, watchOnly: true };
      }
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
