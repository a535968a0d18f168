// etcd keys of API objects: /registry/<plural>/<namespace>/<name>, or /registry/<plural>/<name> for
// cluster-scoped kinds, as kube-apiserver lays them out.
import { KIND_NAMES, type KindName, KINDS } from "@mk/proto";

export const REGISTRY_PREFIX = "/registry/";

export function objectKey(kind: KindName, namespace: string, name: string): string {
  const info = KINDS[kind];
  return info.namespaced ? `${REGISTRY_PREFIX}${info.plural}/${namespace}/${name}` : `${REGISTRY_PREFIX}${info.plural}/${name}`;
}

/** The prefix of every object of a kind, or of a kind in one namespace. */
export function kindPrefix(kind: KindName, namespace = ""): string {
  const info = KINDS[kind];
  return info.namespaced && namespace ? `${REGISTRY_PREFIX}${info.plural}/${namespace}/` : `${REGISTRY_PREFIX}${info.plural}/`;
}

const byPlural = new Map<string, KindName>(KIND_NAMES.map((k) => [KINDS[k].plural, k]));

/** The kind, namespace and name of a key, or undefined for a key that is not an object's. */
export function parseKey(key: string): { kind: KindName; namespace: string; name: string } | undefined {
  if (!key.startsWith(REGISTRY_PREFIX)) return undefined;
  const parts = key.slice(REGISTRY_PREFIX.length).split("/");
  const kind = byPlural.get(parts[0] ?? "");
  if (!kind) return undefined;
  if (KINDS[kind].namespaced) {
    return parts.length === 3 ? { kind, namespace: parts[1] ?? "", name: parts[2] ?? "" } : undefined;
  }
  return parts.length === 2 ? { kind, namespace: "", name: parts[1] ?? "" } : undefined;
}

/** "deployments.apps", "pods": the resource as Kubernetes names it in messages. */
export function resourceName(kind: KindName): string {
  const info = KINDS[kind];
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

/** "Deployment.apps", "Pod": the kind as Kubernetes names it in validation messages. */
export function groupKind(kind: KindName): string {
  const info = KINDS[kind];
  return info.group ? `${info.kind}.${info.group}` : info.kind;
}
