// SelfSubjectAccessReview (authorization.k8s.io/v1), which `kubectl auth can-i` posts: the request's
// own user asks whether it may do a verb on a resource, and mk's authorizer answers, the same one
// that decides its real requests. Kubernetes' verbs map onto mk's (patch is an update,
// deletecollection a delete, pods/status an updatestatus …); a verb mk has no rule for is left to the
// unrestricted users alone.
import { isJsonObject, type JsonObject, KIND_NAMES, KINDS, VIRTUAL_RESOURCES } from "@mk/proto/api";
import { BadRequestError } from "@mk/proto/client";
import type { RequestAttributes, Verb } from "../auth/authorizer.js";
import type { RequestContext } from "../handlers/context.js";
import type { Handlers } from "../handlers/handlers.js";

export const AUTHORIZATION_GROUP = "authorization.k8s.io";
export const AUTHORIZATION_VERSION = "v1";

/** The resources this group serves, for discovery. */
export const AUTHORIZATION_RESOURCES: readonly JsonObject[] = VIRTUAL_RESOURCES.filter((r) => r.group === AUTHORIZATION_GROUP && r.version === AUTHORIZATION_VERSION).map((r) => ({
  name: r.plural,
  singularName: r.singular,
  namespaced: r.namespaced,
  kind: r.kind,
  verbs: [...r.verbs],
}));

const PLAIN_VERBS: { readonly [verb: string]: Verb } = {
  get: "get",
  list: "list",
  watch: "watch",
  create: "create",
  update: "update",
  patch: "update",
  delete: "delete",
  deletecollection: "delete",
};

/** mk's verb for a Kubernetes verb on a resource's subresource; undefined when mk has no rule for it. */
function verbOf(verb: string, subresource: string): Verb | undefined {
  switch (subresource) {
    case "":
      return PLAIN_VERBS[verb];
    case "status":
      return verb === "get" ? "get" : verb === "update" || verb === "patch" ? "updatestatus" : undefined;
    case "scale":
      return verb === "get" ? "get" : verb === "update" || verb === "patch" ? "scale" : undefined;
    case "binding":
      return verb === "create" ? "bind" : undefined;
    case "log":
      return verb === "get" ? "logs" : undefined;
    case "exec":
      return verb === "create" || verb === "get" ? "exec" : undefined;
    case "eviction":
      return verb === "create" ? "delete" : undefined;
    default:
      return undefined;
  }
}

function str(o: JsonObject, key: string): string {
  const v = o[key];
  return typeof v === "string" ? v : "";
}

/** The attributes a review asks about; undefined: a verb or resource mk has no rule for. */
export function reviewAttributes(spec: JsonObject): RequestAttributes | undefined {
  const resource = isJsonObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  if (!resource) {
    const nonResource = isJsonObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
    if (!nonResource) throw new BadRequestError("spec: Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified");
    // /version, discovery and /openapi are read by every authenticated user (Kubernetes' system:discovery).
    return str(nonResource, "verb") === "get" ? { verb: "version", kind: "", namespace: "", name: "" } : undefined;
  }
  const verb = verbOf(str(resource, "verb"), str(resource, "subresource"));
  const plural = str(resource, "resource");
  const group = str(resource, "group");
  const kind = KIND_NAMES.find((k) => KINDS[k].plural === plural && KINDS[k].group === group);
  if (!verb || !kind) return undefined;
  return { verb, kind, namespace: KINDS[kind].namespaced ? str(resource, "namespace") : "", name: str(resource, "name") };
}

export async function selfSubjectAccessReview(handlers: Handlers, ctx: RequestContext, body: JsonObject): Promise<JsonObject> {
  if (body.kind !== undefined && body.kind !== "SelfSubjectAccessReview") throw new BadRequestError(`the request body is a ${String(body.kind)}, not a SelfSubjectAccessReview`);
  const spec = isJsonObject(body.spec) ? body.spec : {};
  const decision = await handlers.reviewAccess(ctx, reviewAttributes(spec));
  const status: JsonObject = decision.allowed ? { allowed: true } : { allowed: false, reason: decision.reason };
  return { kind: "SelfSubjectAccessReview", apiVersion: `${AUTHORIZATION_GROUP}/${AUTHORIZATION_VERSION}`, metadata: {}, spec, status };
}
