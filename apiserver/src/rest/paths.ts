// Kubernetes' resource paths: /api/v1/[namespaces/<ns>/]<plural>[/<name>[/<subresource>]] and the
// same under /apis/<group>/<version>.
export interface ResourcePath {
  group: string;
  version: string;
  /** "" for cluster-scoped kinds and for lists across every namespace. */
  namespace: string;
  plural: string;
  name: string;
  subresource: string;
}

export type ParsedPath =
  | { type: "version" }
  | { type: "api" }
  | { type: "apis" }
  | { type: "groupVersion"; group: string; version: string }
  | { type: "openapiV2" }
  | { type: "openapiIndex" }
  | { type: "openapiDocument"; path: string }
  | { type: "resource"; path: ResourcePath }
  | { type: "unknown" };

export function parsePath(pathname: string): ParsedPath {
  const seg = pathname.split("/").filter((s) => s !== "").map(decodeURIComponent);
  if (seg.length === 1 && seg[0] === "version") return { type: "version" };
  if (seg.length === 2 && seg[0] === "openapi" && seg[1] === "v2") return { type: "openapiV2" };
  if (seg[0] === "openapi" && seg[1] === "v3") return seg.length === 2 ? { type: "openapiIndex" } : { type: "openapiDocument", path: seg.slice(2).join("/") };
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === "api") {
    if (seg.length === 1) return { type: "api" };
    group = "";
    version = seg[1] ?? "";
    rest = seg.slice(2);
  } else if (seg[0] === "apis") {
    if (seg.length === 1) return { type: "apis" };
    if (seg.length === 2) return { type: "unknown" };
    group = seg[1] ?? "";
    version = seg[2] ?? "";
    rest = seg.slice(3);
  } else {
    return { type: "unknown" };
  }
  if (rest.length === 0) return { type: "groupVersion", group, version };
  let namespace = "";
  // namespaces/<ns>/<plural>…: a namespaced resource; namespaces[/<name>[/<sub>]] is the Namespace kind.
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1] ?? "";
    rest = rest.slice(2);
  }
  if (rest.length > 3) return { type: "unknown" };
  return { type: "resource", path: { group, version, namespace, plural: rest[0] ?? "", name: rest[1] ?? "", subresource: rest[2] ?? "" } };
}
