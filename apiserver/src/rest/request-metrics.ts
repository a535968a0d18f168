// Per-request metrics of the HTTP edge, labelled as Kubernetes labels apiserver_request_total: the
// Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection), the resource
// (plural, with its subresource; "" for discovery, /version and /openapi) and the HTTP code. Only
// resources the server serves become label values, so a client cannot grow the label set.
import { AUTHORIZATION_GROUP, AUTHORIZATION_RESOURCES } from "./access-review.js";
import { kindAt } from "./discovery.js";
import { parsePath } from "./paths.js";

export interface RequestLabels {
  verb: string;
  resource: string;
}

/** What the API server's metrics take from the HTTP edge (http/metrics.ts implements it). */
export interface RestMetrics {
  /** One finished request; `seconds` is undefined for a watch, whose length the client decides. */
  observe(labels: RequestLabels, code: number, seconds: number | undefined): void;
}

export function requestLabels(method: string, url: URL): RequestLabels {
  const parsed = parsePath(url.pathname);
  if (parsed.type !== "resource") return { verb: method.toLowerCase(), resource: "" };
  const { group, version, plural, name, subresource } = parsed.path;
  const known = kindAt(group, version, plural) || (group === AUTHORIZATION_GROUP && AUTHORIZATION_RESOURCES.some((r) => r.name === plural));
  const resource = known ? (subresource ? `${plural}/${subresource}` : plural) : "unknown";
  const watch = url.searchParams.get("watch");
  switch (method) {
    case "GET":
      return { verb: name ? "get" : watch === "true" || watch === "1" ? "watch" : "list", resource };
    case "POST":
      return { verb: "create", resource };
    case "PUT":
      return { verb: "update", resource };
    case "PATCH":
      return { verb: "patch", resource };
    case "DELETE":
      return { verb: name ? "delete" : "deletecollection", resource };
    default:
      return { verb: method.toLowerCase(), resource };
  }
}
