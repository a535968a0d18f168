// The fuzzer's typed requests as Kubernetes HTTP/JSON requests (the HTTP edge, apiserver/src/rest):
// an object as Kubernetes' JSON (toK8s) in a POST or PUT, a scale as an autoscaling/v1 Scale, a
// bind as a v1 Binding, a delete's options as DeleteOptions, a list or watch as a GET with its
// query. A fault that lives in the path over HTTP (an unknown kind is an unknown resource) names
// the path's segment instead of the gRPC field.
import { isKindName, KINDS, type KindInfo, type KindName, unwrap } from "@mk/proto";
import { type JsonObject, toK8s } from "@mk/proto/api";
import type { FuzzCase, Request } from "./generator.js";
import type { HttpCall } from "./http-call.js";
import { seedName } from "./objects.js";

export type { HttpCall };


/** The collection path of a kind (`/apis/apps/v1/namespaces/ns/deployments`). */
export function collectionPath(info: KindInfo, namespace: string, plural = info.plural): string {
  const root = info.group ? `/apis/${info.apiVersion}` : `/api/${info.apiVersion}`;
  return `${root}${info.namespaced ? `/namespaces/${encodeURIComponent(namespace)}` : ""}/${encodeURIComponent(plural)}`;
}

export function objectPath(info: KindInfo, namespace: string, name: string): string {
  return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
}

export const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

export function withQuery(path: string, query: Record<string, string>): string {
  const q = new URLSearchParams(query).toString();
  return q ? `${path}${path.includes("?") ? "&" : "?"}${q}` : path;
}

/** An unknown resource (the gRPC `kind` fault) as the path's segment ("Nope", "pod", "Pods": no resource is spelt so). */
const unknownResource = (kind: string): string | undefined => kind || undefined;

/** The typed object of a Create/Update request as Kubernetes JSON, with its kind's info. */
export function objectJson(r: Request): { info: KindInfo; body: JsonObject; namespace: string; name: string } | undefined {
  if (r.method !== "Create" && r.method !== "Update" && r.method !== "UpdateStatus") return undefined;
  const u = unwrap(r.message.object);
  if (!u) return undefined;
  const info = KINDS[u.kind] as KindInfo;
  const body = toK8s(info, u.object);
  return { info, body, namespace: u.object.metadata?.namespace ?? "", name: u.object.metadata?.name ?? "" };
}

/**
 * The HTTP request for a typed case, with the field its refusal must name over HTTP (the case's own,
 * except where the fault is in the path); undefined when HTTP has no such request (a List of the
 * empty kind has no path).
 */
export function httpOf(c: FuzzCase): { call: HttpCall; field: string; aliases?: readonly string[] } | undefined {
  const r = c.request;
  if (!r) return undefined;
  const same = { field: c.field, aliases: c.aliases };
  switch (r.method) {
    case "Create":
    case "Update":
    case "UpdateStatus": {
      const o = objectJson(r);
      if (!o) return undefined;
      // A bad namespace travels in the path, as a client sends it (the body's must match).
      const ns = o.info.namespaced ? o.namespace : "";
      if (r.method === "Create") return { call: { method: "POST", path: collectionPath(o.info, ns), contentType: "application/json", body: json(o.body) }, ...same };
      // A name too long for a URL (node's parser, as Go's, closes the connection on headers over
      // its limit, with no Status to read) travels in the body only; the URL names the seed.
      const urlName = o.name.length > 1024 ? seedName(o.info.kind) : o.name;
      const path = `${objectPath(o.info, ns, urlName)}${r.method === "UpdateStatus" ? "/status" : ""}`;
      return { call: { method: "PUT", path, contentType: "application/json", body: json(o.body) }, ...same };
    }
    case "UpdateScale": {
      const m = r.message;
      if (!isKindName(m.kind)) {
        const seg = unknownResource(m.kind);
        if (!seg) return undefined;
        const path = `/apis/apps/v1/namespaces/${m.namespace}/${encodeURIComponent(seg)}/${m.name}/scale`;
        return { call: { method: "PUT", path, contentType: "application/json", body: json(scale(m.name, m.namespace, m.replicas)) }, field: seg };
      }
      const info = KINDS[m.kind as KindName] as KindInfo;
      const path = `${objectPath(info, m.namespace, m.name)}/scale`;
      const call: HttpCall = { method: "PUT", path, contentType: "application/json", body: json(scale(m.name, m.namespace, m.replicas)) };
      // pods/scale, leases/scale: no such subresource, named in the 404.
      return m.kind === "ReplicaSet" || m.kind === "Deployment" ? { call, ...same } : { call, field: `${info.plural}/scale` };
    }
    case "Bind": {
      const m = r.message;
      const body = { apiVersion: "v1", kind: "Binding", metadata: { name: m.name, namespace: m.namespace }, target: { apiVersion: "v1", kind: "Node", name: m.nodeName } };
      return { call: { method: "POST", path: `${objectPath(KINDS.Pod as KindInfo, m.namespace, m.name)}/binding`, contentType: "application/json", body: json(body) }, ...same };
    }
    case "Delete": {
      const m = r.message;
      const info = KINDS[m.kind as KindName] as KindInfo;
      const options: JsonObject = { apiVersion: "v1", kind: "DeleteOptions" };
      if (m.propagationPolicy) options.propagationPolicy = m.propagationPolicy;
      if (m.preconditions) {
        const p: JsonObject = {};
        if (m.preconditions.uid) p.uid = m.preconditions.uid;
        if (m.preconditions.resourceVersion) p.resourceVersion = m.preconditions.resourceVersion;
        options.preconditions = p;
      }
      if (m.dryRun) options.dryRun = ["All"];
      return { call: { method: "DELETE", path: objectPath(info, m.namespace, m.name), contentType: "application/json", body: json(options) }, ...same };
    }
    case "List":
    case "Watch": {
      const m = r.message;
      const query: Record<string, string> = {};
      if (m.labelSelector) query.labelSelector = m.labelSelector;
      if (m.fieldSelector) query.fieldSelector = m.fieldSelector;
      if (r.method === "List") {
        if (r.message.limit) query.limit = String(r.message.limit);
        if (r.message.continue) query.continue = r.message.continue;
      } else {
        query.watch = "true";
        if (r.message.resourceVersion) query.resourceVersion = r.message.resourceVersion;
      }
      if (!isKindName(m.kind)) {
        const seg = unknownResource(m.kind);
        if (!seg) return undefined;
        // As a core resource of the namespace: no such plural.
        return { call: { method: "GET", path: withQuery(`/api/v1/namespaces/${m.namespace || "default"}/${encodeURIComponent(seg)}`, query), watch: r.method === "Watch" }, field: seg };
      }
      const info = KINDS[m.kind] as KindInfo;
      return { call: { method: "GET", path: withQuery(collectionPath(info, m.namespace), query), watch: r.method === "Watch" }, ...same };
    }
  }
}

function scale(name: string, namespace: string, replicas: number): JsonObject {
  return { apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name, namespace }, spec: { replicas } };
}
