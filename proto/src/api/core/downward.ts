// The downward API (Kubernetes' pkg/fieldpath and pkg/api/v1/resource): which pod fields and
// container resources a pod may read about itself, how a path is written, and the value it reads.
// The API server validates with the tables below; the kubelet resolves with the functions, so the two
// never disagree about what `metadata.labels['app']` or `limits.memory` with divisor 1Mi means.
import type { Container, Pod } from "../../gen/mk/v1/core.js";
import { cpuMillis, memoryBytes } from "../quantity.js";

/** The field paths an env var may read (besides subscripted labels and annotations), in Kubernetes' order. */
export const ENV_FIELD_PATHS = [
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
] as const;

/** The field paths a downwardAPI volume file may read (besides subscripted labels and annotations). */
export const VOLUME_FIELD_PATHS = ["metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"] as const;

/** The resources a resourceFieldRef may read. */
export const RESOURCE_FIELD_PATHS = ["limits.cpu", "limits.memory", "requests.cpu", "requests.memory"] as const;

/** Divisors Kubernetes allows per resource (any other is refused). */
export const CPU_DIVISORS = ["1m", "1"] as const;
export const MEMORY_DIVISORS = ["1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"] as const;

/** A path with a map subscript, `metadata.labels['app']` → { path: "metadata.labels", key: "app" }. */
export interface SubscriptedPath {
  path: string;
  key: string;
}

/** Kubernetes' SplitMaybeSubscriptedPath: `a.b['k']` splits; anything else has no subscript. */
export function splitSubscript(fieldPath: string): SubscriptedPath | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const open = fieldPath.indexOf("['");
  if (open < 0) return undefined;
  return { path: fieldPath.slice(0, open), key: fieldPath.slice(open + 2, -2) };
}

const SUBSCRIPTABLE = ["metadata.labels", "metadata.annotations"];

/**
 * Whether the path is one the downward API serves where it is used (env or a volume file): a plain
 * path of that table, or a label or annotation by key. A bad subscript key is the caller's check.
 */
export function isSupportedFieldPath(fieldPath: string, where: "env" | "volume"): boolean {
  const sub = splitSubscript(fieldPath);
  if (sub) return SUBSCRIPTABLE.includes(sub.path) && sub.key !== "";
  const table: readonly string[] = where === "env" ? ENV_FIELD_PATHS : VOLUME_FIELD_PATHS;
  return table.includes(fieldPath);
}

/** The pod's addresses, which the object may not carry yet when the kubelet builds a container. */
export interface PodAddresses {
  podIP: string;
  hostIP: string;
}

/** Kubernetes' FormatMap: `key="value"` lines in key order, the last without a newline. */
export function formatMap(m: Readonly<Record<string, string>>): string {
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${JSON.stringify(m[k])}`)
    .join("\n");
}

export class FieldPathError extends Error {
  override readonly name = "FieldPathError";
}

/** The value of a supported field path of the pod; throws FieldPathError for any other path. */
export function fieldPathValue(pod: Pod, fieldPath: string, addresses: PodAddresses): string {
  const m = pod.metadata;
  const sub = splitSubscript(fieldPath);
  if (sub?.path === "metadata.labels") return m?.labels[sub.key] ?? "";
  if (sub?.path === "metadata.annotations") return m?.annotations[sub.key] ?? "";
  switch (fieldPath) {
    case "metadata.name":
      return m?.name ?? "";
    case "metadata.namespace":
      return m?.namespace || "default";
    case "metadata.uid":
      return m?.uid ?? "";
    case "metadata.labels":
      return formatMap(m?.labels ?? {});
    case "metadata.annotations":
      return formatMap(m?.annotations ?? {});
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.hostIP":
    case "status.hostIPs":
      return addresses.hostIP;
    case "status.podIP":
    case "status.podIPs":
      return addresses.podIP;
    default:
      throw new FieldPathError(`unsupported fieldPath: ${fieldPath}`);
  }
}

/** What a container may use when it sets no limit: the node's allocatable cpu and memory. */
export interface NodeAllocatable {
  cpu: string;
  memory: string;
}

/**
 * A container's resource in units of divisor, rounded up (Kubernetes' ExtractContainerResourceValue):
 * limits.cpu with divisor 1m of a container limited to 500m is "500"; with divisor 1 it is "1". An
 * unset limit is the node's allocatable (MergeContainerResourceLimits); an unset request is the limit
 * when one is set (the API defaulting Kubernetes does), else 0.
 */
export function resourceFieldValue(c: Pick<Container, "resources">, resource: string, divisor: string, node: NodeAllocatable): string {
  const [group, name] = resource.split(".", 2);
  if ((group !== "limits" && group !== "requests") || (name !== "cpu" && name !== "memory")) throw new FieldPathError(`unsupported container resource: ${resource}`);
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const q = group === "limits" ? (limits[name] ?? node[name]) : (requests[name] ?? limits[name] ?? "0");
  const d = divisor || "1";
  if (name === "cpu") return String(Math.ceil(cpuMillis(q) / cpuMillis(d)));
  return String(Math.ceil(memoryBytes(q) / memoryBytes(d)));
}
