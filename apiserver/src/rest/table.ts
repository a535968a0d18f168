// The meta.k8s.io/v1 Table kubectl asks `get` for: the kind's columns from the shared definitions
// (the ones mkctl prints; priority 1 columns are kubectl's `-o wide`), one row per object carrying the
// object's metadata (kubectl needs it for -A's NAMESPACE and --show-labels) or the whole object.
import { type AnyObject, type JsonObject, type KindInfo, TABLE_COLUMNS, toK8s } from "@mk/proto/api";

/** What a row's `object` holds (the includeObject query parameter; Kubernetes' default is Metadata). */
export type IncludeObject = "None" | "Metadata" | "Object";

export function includeObjectOf(param: string | null): IncludeObject {
  return param === "None" || param === "Object" ? param : "Metadata";
}

/** Does the Accept header ask for a Table (`application/json;as=Table;v=v1;g=meta.k8s.io`)? */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? "").split(",").some((part) => {
    const params = part.split(";").map((p) => p.trim());
    return params.includes("as=Table") && params.includes("g=meta.k8s.io");
  });
}

function rowObject(info: KindInfo, obj: AnyObject, include: IncludeObject): JsonObject | undefined {
  if (include === "None") return undefined;
  const json = toK8s(info, obj);
  if (include === "Object") return json;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: json.metadata ?? {} };
}

export function tableOf(info: KindInfo, objects: readonly AnyObject[], opts: { resourceVersion: string; continue?: string; include: IncludeObject; now: number }): JsonObject {
  const columns = TABLE_COLUMNS[info.kind];
  const metadata: JsonObject = { resourceVersion: opts.resourceVersion };
  if (opts.continue) metadata.continue = opts.continue;
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? "", description: c.description, priority: c.priority })),
    rows: objects.map((obj) => {
      const cells = columns.map((c) => {
        const text = c.cell(obj, { now: opts.now });
        return c.type === "integer" && /^-?\d+$/.test(text) ? Number(text) : text;
      });
      const row: JsonObject = { cells };
      const object = rowObject(info, obj, opts.include);
      if (object) row.object = object;
      return row;
    }),
  };
}
