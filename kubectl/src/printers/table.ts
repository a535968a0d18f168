// `mkctl get` tables: the kind's columns, plus NAMESPACE first with -A and LABELS last with
// --show-labels (-L's label columns before it); NAME prefixed with the kind (`deployment.apps/web`) when several kinds print.
// The column definitions are the API's (@mk/proto/api printers/); this file only lays them out.
import { type AnyObject, formatLabels, type KindInfo, tableColumns } from "@mk/proto/api";
import { kindRef } from "../resources.js";

export interface TableOptions {
  wide: boolean;
  showLabels: boolean;
  allNamespaces: boolean;
  noHeaders: boolean;
  /** Prefix names with the kind, as kubectl does when it prints several kinds at once. */
  withKind: boolean;
  now: number;
  /** -L: one column per label key (header: the key's last path segment in capitals), before LABELS. */
  labelColumns?: readonly string[];
}

/** kubectl's header for a -L column: `app.kubernetes.io/name` → `NAME`. */
export function labelHeader(key: string): string {
  return (key.split("/").pop() ?? key).toUpperCase();
}

export function tableHeader(info: KindInfo, o: TableOptions): string[] {
  const cols = tableColumns(info.kind, o.wide).map((c) => c.name);
  if (o.allNamespaces && info.namespaced) cols.unshift("NAMESPACE");
  for (const key of o.labelColumns ?? []) cols.push(labelHeader(key));
  if (o.showLabels) cols.push("LABELS");
  return cols;
}

export function tableRow(info: KindInfo, obj: AnyObject, o: TableOptions): string[] {
  const ctx = { now: o.now };
  const cells = tableColumns(info.kind, o.wide).map((c) => {
    const v = c.cell(obj, ctx);
    return c.name === "NAME" && o.withKind ? `${kindRef(info)}/${v}` : v;
  });
  if (o.allNamespaces && info.namespaced) cells.unshift(obj.metadata?.namespace ?? "");
  for (const key of o.labelColumns ?? []) cells.push(obj.metadata?.labels[key] ?? "");
  if (o.showLabels) cells.push(formatLabels(obj.metadata?.labels));
  return cells;
}

export function tableRows(info: KindInfo, objs: readonly AnyObject[], o: TableOptions): string[][] {
  const rows = objs.map((obj) => tableRow(info, obj, o));
  return o.noHeaders ? rows : [tableHeader(info, o), ...rows];
}
