// -o custom-columns=HEADER:PATH,… and -o custom-columns-file=FILE: kubectl's custom columns. Each
// path is a relaxed JSONPath (`.metadata.name`, `{.spec.replicas}`, `metadata.name`); several values
// print joined by ",", none as `<none>`, and values print as Go's %v prints them (`map[app:web]`).
import { readFileSync } from "node:fs";
import { CliError } from "../errors.js";
import { isObject, type Json } from "../objects.js";
import { findValues, parseTemplate, relaxedJsonPath } from "./jsonpath.js";

export interface CustomColumn {
  header: string;
  /** The full template, `{.metadata.name}`. */
  template: string;
}

function column(header: string, path: string): CustomColumn {
  const template = relaxedJsonPath(path);
  parseTemplate(template);
  return { header, template };
}

/** `NAME:.metadata.name,IMAGE:.spec.containers[*].image` */
export function parseCustomColumns(spec: string): CustomColumn[] {
  if (spec === "") throw new CliError("custom-columns format specified but no custom columns given");
  return spec.split(",").map((part) => {
    const i = part.indexOf(":");
    if (i < 0) throw new CliError(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    return column(part.slice(0, i), part.slice(i + 1));
  });
}

/** A file of two lines: the headers, then as many paths, each separated by white space. */
export function readCustomColumnsFile(path: string): CustomColumn[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`error reading template ${path}, ${(err as Error).message}`);
  }
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== 2) throw new CliError(`invalid template ${path}: expected two lines (headers, then paths), got ${lines.length}`);
  const headers = (lines[0] ?? "").trim().split(/\s+/);
  const paths = (lines[1] ?? "").trim().split(/\s+/);
  if (headers.length !== paths.length) {
    throw new CliError(`number of headers (${headers.length}) and field specifications (${paths.length}) don't match`);
  }
  return headers.map((h, i) => column(h, paths[i] ?? ""));
}

/** Go's fmt %v of a decoded JSON value. */
export function goValue(v: Json): string {
  if (v === null) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goValue).join(" ")}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goValue(v[k] as Json)}`).join(" ")}]`;
  }
  return String(v);
}

export function customColumnsRows(columns: readonly CustomColumn[], items: readonly Json[], noHeaders: boolean): string[][] {
  const rows = items.map((item) =>
    columns.map((c) => {
      const found = findValues(c.template, item);
      return found.length === 0 ? "<none>" : found.map(goValue).join(",");
    }),
  );
  return noHeaders ? rows : [columns.map((c) => c.header), ...rows];
}
