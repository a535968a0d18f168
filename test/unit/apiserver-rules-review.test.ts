// The rules a SelfSubjectRulesReview lists (kubectl auth can-i --list) hold to mk's authorizer both
// ways: everything a rule names, authorize() allows; everything authorize() allows a node on a kind
// (for an object whose answer does not depend on a lookup), some rule names.
import assert from "node:assert/strict";
import { test } from "node:test";
import { KIND_NAMES, KINDS } from "@mk/proto/api";
import { type AuthorizerLookup, authorize } from "@mk/apiserver/auth/authorizer.js";
import { reviewAttributes } from "@mk/apiserver/rest/access-review.js";
import { type ResourceRule, restrictedRules } from "@mk/apiserver/rest/rules-review.js";

const node = { name: "system:node:n1", groups: ["system:nodes", "system:authenticated"] };
/** The pods a question may name are bound to another node; no pod refers to any Secret or ConfigMap. */
const lookup: AuthorizerLookup = { podNodeName: async () => "n2", nodeReferences: async () => false };
const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];

async function allowed(verb: string, group: string, resource: string, namespace: string, name: string): Promise<boolean> {
  const [plural = "", subresource = ""] = resource.split("/");
  const attrs = reviewAttributes({ resourceAttributes: { verb, group, resource: plural, subresource, namespace, name } });
  return attrs !== undefined && (await authorize(node, attrs, lookup)).allowed;
}

const covers = (rules: ResourceRule[], verb: string, group: string, resource: string, name: string) =>
  rules.some((r) => r.verbs.includes(verb) && r.apiGroups.includes(group) && r.resources.includes(resource) && (!r.resourceNames || r.resourceNames.includes(name)));

for (const namespace of ["", "default", "mk-node-lease"]) {
  test(`a node's rules in namespace "${namespace}": each is allowed by authorize()`, async () => {
    const rules = restrictedRules(node, namespace);
    assert.equal(rules.incomplete, true);
    assert.match(rules.evaluationError ?? "", /pods bound to node "n1"/);
    for (const r of rules.resourceRules) {
      // The reviews are not authorized at all: every authenticated user may post them.
      if (r.apiGroups.includes("authorization.k8s.io")) continue;
      for (const verb of r.verbs) {
        for (const resource of r.resources) {
          for (const name of r.resourceNames ?? ["any"]) {
            const ns = KINDS[KIND_NAMES.find((k) => KINDS[k].plural === resource.split("/")[0]) ?? "Pod"].namespaced ? namespace || "default" : "";
            const where = resource === "leases" && r.resourceNames ? "mk-node-lease" : ns;
            assert.ok(await allowed(verb, r.apiGroups[0] ?? "", resource, where, name), `${verb} ${resource} ${name} in "${where}" is listed but refused`);
          }
        }
      }
    }
    const version = reviewAttributes({ nonResourceAttributes: { verb: "get", path: "/version" } });
    assert.ok(version && (await authorize(node, version, lookup)).allowed);
  });
}

test("what authorize() allows a node (no lookup involved), some rule lists", async () => {
  const rules = restrictedRules(node, "").resourceRules;
  for (const kind of KIND_NAMES) {
    const info = KINDS[kind];
    for (const resource of [info.plural, `${info.plural}/status`]) {
      for (const verb of VERBS) {
        for (const name of ["n1", "n2"]) {
          const namespace = info.namespaced ? (kind === "Lease" ? "mk-node-lease" : "default") : "";
          if (await allowed(verb, info.group, resource, namespace, name)) {
            // Reading a status is reading the object (access-review.ts's verbOf), as the rules' reads say.
            const listed = covers(rules, verb, info.group, resource, name) || (verb === "get" && covers(rules, verb, info.group, info.plural, name));
            assert.ok(listed, `${verb} ${resource} ${name} is allowed but no rule lists it`);
          }
        }
      }
    }
  }
  assert.ok(!covers(rules, "create", "", "pods", "any"), "a node does not create pods");
  assert.ok(!covers(rules, "update", "", "nodes", "n2"), "nor change another node");
});

test("a user that is neither a node nor unrestricted may only ask about itself and read discovery", () => {
  const rules = restrictedRules({ name: "bob", groups: ["system:authenticated"] }, "default");
  assert.deepEqual(rules.resourceRules, [{ verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"] }]);
  assert.equal(rules.incomplete, false);
  assert.ok(!rules.nonResourceRules.some((r) => r.nonResourceURLs.includes("/version")), "authorize() refuses bob /version");
});
