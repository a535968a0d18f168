// SelfSubjectRulesReview (authorization.k8s.io/v1), which `kubectl auth can-i --list` posts: what the
// requesting user may do in a namespace, as Kubernetes' rules, written from mk's authorizer
// (auth/authorizer.ts) and its constants: the unrestricted users may do everything; a node reads the
// kinds it reads, changes its own Node and Lease, writes Events; every user may ask these reviews. A
// node's rights on the pods bound to it and on the ConfigMaps and Secrets those pods refer to are
// decided per object (as Kubernetes' Node authorizer does), so a node's list says it is incomplete.
// A unit test holds each listed rule to authorize()'s answer.
import { isJsonObject, isKindName, type JsonObject, KINDS } from "@mk/proto/api";
import { BadRequestError } from "@mk/proto/client";
import { NODE_LEASE_NAMESPACE, NODE_READS } from "../auth/authorizer.js";
import { nodeNameOf, type UserInfo } from "../auth/identity.js";
import type { RequestContext } from "../handlers/context.js";
import type { Handlers } from "../handlers/handlers.js";
import { AUTHORIZATION_GROUP, AUTHORIZATION_VERSION } from "./access-review.js";

export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

export interface Rules {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  incomplete: boolean;
  evaluationError?: string;
}

const EVERYTHING: Rules = {
  resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
  nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
  incomplete: false,
};

/** Every authenticated user may ask about itself (Kubernetes' system:basic-user). */
const SELF_REVIEWS: ResourceRule = { verbs: ["create"], apiGroups: [AUTHORIZATION_GROUP], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"] };
/** Discovery and the schema are served to every authenticated user (Kubernetes' system:discovery). */
const DISCOVERY: NonResourceRule = { verbs: ["get"], nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*"] };

const resourceOf = (kind: string) => (isKindName(kind) ? KINDS[kind] : undefined);

/** The reads of a node, one rule per API group. */
function nodeReads(): ResourceRule[] {
  const byGroup = new Map<string, string[]>();
  for (const kind of NODE_READS) {
    const info = resourceOf(kind);
    if (info) byGroup.set(info.group, [...(byGroup.get(info.group) ?? []), info.plural]);
  }
  return [...byGroup].sort(([a], [b]) => a.localeCompare(b)).map(([group, resources]) => ({ verbs: ["get", "list", "watch"], apiGroups: [group], resources: resources.sort() }));
}

/** The rules of a restricted user in `namespace` ("" for every namespace). */
export function restrictedRules(user: UserInfo, namespace: string): Rules {
  const node = nodeNameOf(user);
  if (!node) return { resourceRules: [SELF_REVIEWS], nonResourceRules: [DISCOVERY], incomplete: false };
  const rules: ResourceRule[] = [
    SELF_REVIEWS,
    ...nodeReads(),
    { verbs: ["create", "update", "patch"], apiGroups: [""], resources: ["events"] },
    { verbs: ["create", "update", "patch"], apiGroups: [""], resources: ["nodes"], resourceNames: [node] },
    { verbs: ["update", "patch"], apiGroups: [""], resources: ["nodes/status"], resourceNames: [node] },
  ];
  if (!namespace || namespace === NODE_LEASE_NAMESPACE) rules.push({ verbs: ["create", "update", "patch"], apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [node] });
  return {
    resourceRules: rules,
    nonResourceRules: [{ verbs: ["get"], nonResourceURLs: [...DISCOVERY.nonResourceURLs, "/version"] }],
    incomplete: true,
    evaluationError: `node authorizer: the pods bound to node "${node}" (update their status, delete them) and the configmaps and secrets they refer to (get, list and watch by name) are decided per object, not listed`,
  };
}

export async function selfSubjectRulesReview(handlers: Handlers, ctx: RequestContext, body: JsonObject): Promise<JsonObject> {
  if (body.kind !== undefined && body.kind !== "SelfSubjectRulesReview") throw new BadRequestError(`the request body is a ${String(body.kind)}, not a SelfSubjectRulesReview`);
  const spec = isJsonObject(body.spec) ? body.spec : {};
  if (spec.namespace !== undefined && typeof spec.namespace !== "string") throw new BadRequestError("spec.namespace: Invalid value: must be a string");
  const namespace = typeof spec.namespace === "string" ? spec.namespace : "";
  // A request mk has no rule for is allowed only to the unrestricted users (or to everyone when the
  // server does not authorize): asking about one tells them apart.
  const unrestricted = (await handlers.reviewAccess(ctx, undefined)).allowed;
  const rules = unrestricted || !ctx.user ? EVERYTHING : restrictedRules(ctx.user, namespace);
  const status: JsonObject = { resourceRules: rules.resourceRules.map((r) => ({ ...r })), nonResourceRules: rules.nonResourceRules.map((r) => ({ ...r })), incomplete: rules.incomplete };
  if (rules.evaluationError) status.evaluationError = rules.evaluationError;
  return { kind: "SelfSubjectRulesReview", apiVersion: `${AUTHORIZATION_GROUP}/${AUTHORIZATION_VERSION}`, metadata: {}, spec, status };
}
