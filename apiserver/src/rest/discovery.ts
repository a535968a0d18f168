// Discovery, generated from the kinds table so that every kind appears by itself: /api and /apis
// list the group versions, /api/v1 and /apis/<group>/<version> list their resources with verbs,
// short names, `categories: [all]` and subresources (status, scale; pods' binding, eviction, log).
// kubectl reads these as plain JSON (its aggregated-discovery parser is picked only by a reply's
// Content-Type, which this is not).
import { type JsonObject, KIND_NAMES, KINDS, type KindInfo, type KindName } from "@mk/proto/api";
import { AUTHORIZATION_GROUP, AUTHORIZATION_RESOURCES, AUTHORIZATION_VERSION } from "./access-review.js";

const VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];
/** Kinds whose Scale subresource the handlers serve. */
const SCALABLE: ReadonlySet<KindName> = new Set(["Deployment", "ReplicaSet"]);
/** Kinds kubectl shows under `get all` (categories: [all]), as Kubernetes marks them. */
const IN_ALL: ReadonlySet<KindName> = new Set(["Pod", "ReplicaSet", "Deployment"]);

function groupVersionOf(info: KindInfo): { group: string; version: string } {
  const slash = info.apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: info.apiVersion } : { group: info.apiVersion.slice(0, slash), version: info.apiVersion.slice(slash + 1) };
}

/** The kind served at `<group>/<version>/<plural>`, if any. */
export function kindAt(group: string, version: string, plural: string): KindInfo | undefined {
  for (const k of KIND_NAMES) {
    const info = KINDS[k] as KindInfo;
    const gv = groupVersionOf(info);
    if (gv.group === group && gv.version === version && info.plural === plural) return info;
  }
  return undefined;
}

export function apiVersions(serverAddress: string): JsonObject {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

export function apiGroupList(): JsonObject {
  const groups = new Map<string, Set<string>>();
  for (const k of KIND_NAMES) {
    const gv = groupVersionOf(KINDS[k] as KindInfo);
    if (gv.group) groups.set(gv.group, (groups.get(gv.group) ?? new Set()).add(gv.version));
  }
  groups.set(AUTHORIZATION_GROUP, new Set([AUTHORIZATION_VERSION]));
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [...groups].map(([name, versions]) => {
      const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: list, preferredVersion: list[0] ?? {} };
    }),
  };
}

/** The APIResourceList of a group version; undefined when no kind lives there. */
export function apiResourceList(group: string, version: string): JsonObject | undefined {
  const resources: JsonObject[] = group === AUTHORIZATION_GROUP && version === AUTHORIZATION_VERSION ? [...AUTHORIZATION_RESOURCES] : [];
  for (const k of KIND_NAMES) {
    const info = KINDS[k] as KindInfo;
    const gv = groupVersionOf(info);
    if (gv.group !== group || gv.version !== version) continue;
    const resource: JsonObject = { name: info.plural, singularName: info.singular, namespaced: info.namespaced, kind: info.kind, verbs: VERBS };
    if (info.shortNames.length > 0) resource.shortNames = [...info.shortNames];
    if (IN_ALL.has(k)) resource.categories = ["all"];
    resources.push(resource);
    resources.push({ name: `${info.plural}/status`, singularName: "", namespaced: info.namespaced, kind: info.kind, verbs: ["get", "patch", "update"] });
    if (k === "Pod") {
      resources.push({ name: "pods/binding", singularName: "", namespaced: true, kind: "Binding", verbs: ["create"] });
      resources.push({ name: "pods/eviction", singularName: "", namespaced: true, group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] });
      resources.push({ name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] });
    }
    if (SCALABLE.has(k)) {
      resources.push({ name: `${info.plural}/scale`, singularName: "", namespaced: info.namespaced, group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] });
    }
  }
  if (resources.length === 0) return undefined;
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources };
}
