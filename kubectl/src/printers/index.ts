// Chooses the printer for -o and prints objects of one or more kinds the way kubectl does.
import type { AnyObject, KindInfo } from "@mk/proto/api";
import { CliError } from "../errors.js";
import { type JsonObject, listOf, toK8s } from "../objects.js";
import { type CustomColumn, customColumnsRows, parseCustomColumns, readCustomColumnsFile } from "./custom-columns.js";
import { printJson } from "./json.js";
import { parseTemplate, printJsonpath } from "./jsonpath.js";
import { printName } from "./name.js";
import { formatTable } from "./tabwriter.js";
import { type TableOptions, tableRows } from "./table.js";
import { printYaml } from "./yaml.js";

export type OutputFormat =
  | { type: "table"; wide: boolean }
  | { type: "yaml" }
  | { type: "json" }
  | { type: "name" }
  | { type: "jsonpath"; template: string }
  | { type: "custom-columns"; columns: CustomColumn[] };

export function parseOutput(value: string | undefined): OutputFormat {
  const v = value ?? "";
  if (v === "") return { type: "table", wide: false };
  if (v === "wide") return { type: "table", wide: true };
  if (v === "yaml" || v === "json" || v === "name") return { type: v };
  if (v.startsWith("custom-columns=")) return { type: "custom-columns", columns: parseCustomColumns(v.slice("custom-columns=".length)) };
  if (v.startsWith("custom-columns-file=")) return { type: "custom-columns", columns: readCustomColumnsFile(v.slice("custom-columns-file=".length)) };
  const m = /^jsonpath=(.*)$/s.exec(v);
  if (m) {
    const template = m[1] ?? "";
    parseTemplate(template); // reject a bad template before any call to the server
    return { type: "jsonpath", template };
  }
  throw new CliError(`unable to match a printer suitable for the output format "${v}", allowed formats are: custom-columns,custom-columns-file,json,jsonpath,name,wide,yaml`);
}

export interface Printed {
  info: KindInfo;
  objects: AnyObject[];
}

export interface PrintOptions extends Omit<TableOptions, "wide" | "withKind"> {
  /** Print one object rather than a List (a single object asked for by name). */
  single: boolean;
  /** --show-kind: the kind before every name, even when one kind prints. */
  showKind?: boolean;
}

/** Everything as one string for stdout (tables of several kinds are separated by a blank line). */
export function printObjects(groups: readonly Printed[], format: OutputFormat, o: PrintOptions): string {
  const nonEmpty = groups.filter((g) => g.objects.length > 0);
  switch (format.type) {
    case "table": {
      const withKind = Boolean(o.showKind) || new Set(nonEmpty.map((g) => g.info.kind)).size > 1;
      return nonEmpty
        .map((g) => formatTable(tableRows(g.info, g.objects, { ...o, wide: format.wide, withKind })))
        .join("\n");
    }
    case "name":
      return nonEmpty.map((g) => printName(g.info, g.objects)).join("");
    case "custom-columns": {
      // One table for every kind, as kubectl prints custom columns.
      const items = nonEmpty.flatMap((g) => g.objects.map((obj) => toK8s(g.info, obj)));
      return formatTable(customColumnsRows(format.columns, items, o.noHeaders));
    }
    default: {
      const items: JsonObject[] = nonEmpty.flatMap((g) => g.objects.map((obj) => toK8s(g.info, obj)));
      const doc = o.single && items.length === 1 ? (items[0] as JsonObject) : listOf(items);
      if (format.type === "yaml") return printYaml(doc);
      if (format.type === "json") return printJson(doc);
      return printJsonpath(format.template, doc);
    }
  }
}
