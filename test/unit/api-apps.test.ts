// The apps semantics shared by the Deployment controller and `mkctl rollout` (@mk/proto/api apps/):
// which ReplicaSet a revision names, the template undo copies back, and the annotations it carries.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CHANGE_CAUSE_ANNOTATION,
  emptyMeta,
  equalIgnoreHash,
  findRevision,
  LAST_APPLIED_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  PodTemplateSpec,
  podTemplateHash,
  type ReplicaSet,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  revisionOf,
  rollbackAnnotations,
  templateWithoutHash,
} from "@mk/proto";

function template(image: string, labels: Record<string, string> = {}): PodTemplateSpec {
  return PodTemplateSpec.fromPartial({
    metadata: emptyMeta({ labels: { app: "web", ...labels } }),
    spec: { containers: [{ name: "web", image }], restartPolicy: "Always" },
  });
}

function rs(name: string, revision: string | undefined, image = "web:v1", annotations: Record<string, string> = {}): ReplicaSet {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: emptyMeta({ name, namespace: "default", annotations: revision === undefined ? annotations : { ...annotations, [REVISION_ANNOTATION]: revision } }),
    spec: { replicas: 0, minReadySeconds: 0, template: template(image, { [POD_TEMPLATE_HASH_LABEL]: `h-${name}` }) },
    status: undefined,
  };
}

test("revisionOf: a number, or undefined when absent or not a number", () => {
  assert.equal(revisionOf(rs("a", "12")), 12);
  assert.equal(revisionOf(rs("a", undefined)), undefined);
  assert.equal(revisionOf(rs("a", "x1")), undefined);
});

test("findRevision: 0 is the one before the highest, N is revision N, in any order", () => {
  const [r1, r2, r3, bad] = [rs("r1", "1"), rs("r2", "2"), rs("r3", "3"), rs("bad", "oops")];
  const previous = findRevision("web", [r3, bad, r1, r2], 0);
  assert.deepEqual(previous, { found: true, replicaSet: r2, revision: 2 });
  assert.deepEqual(findRevision("web", [r2, r3, r1], 0), { found: true, replicaSet: r2, revision: 2 });
  assert.deepEqual(findRevision("web", [r1, r2, r3], 1), { found: true, replicaSet: r1, revision: 1 });
  assert.deepEqual(findRevision("web", [r1, r2, r3], 7), { found: false, message: "unable to find specified revision 7 in history" });
  assert.deepEqual(findRevision("web", [r1, r2], -1), { found: false, message: "unable to find specified revision -1 in history" });
  assert.deepEqual(findRevision("web", [r1, bad], 0), { found: false, message: 'no rollout history found for deployment "web"' });
});

test("templateWithoutHash: a copy minus the pod-template-hash label; equality ignores that label", () => {
  const old = rs("r1", "1", "web:v1");
  const t = templateWithoutHash(old.spec?.template);
  assert.deepEqual(t.metadata?.labels, { app: "web" });
  assert.equal(old.spec?.template?.metadata?.labels[POD_TEMPLATE_HASH_LABEL], "h-r1", "the ReplicaSet's template is left alone");
  assert.ok(equalIgnoreHash(old.spec?.template, template("web:v1")));
  assert.ok(!equalIgnoreHash(old.spec?.template, template("web:v2")));
});

test("rollbackAnnotations: the Deployment keeps its per-object annotations and takes the others from the ReplicaSet", () => {
  const d = { metadata: emptyMeta({ name: "web", annotations: { [REVISION_ANNOTATION]: "3", [LAST_APPLIED_ANNOTATION]: "{}", [CHANGE_CAUSE_ANNOTATION]: "v3", note: "gone" } }) };
  const old = rs("r1", "1", "web:v1", { [CHANGE_CAUSE_ANNOTATION]: "v1", [REVISION_HISTORY_ANNOTATION]: "0" });
  assert.deepEqual(rollbackAnnotations(d, old), { [REVISION_ANNOTATION]: "3", [LAST_APPLIED_ANNOTATION]: "{}", [CHANGE_CAUSE_ANNOTATION]: "v1" });
});

test("an empty struct is the same template as none: kubectl's rollout undo sends resources: {}", () => {
  const bare = PodTemplateSpec.fromJSON({ metadata: { labels: { app: "a" } }, spec: { containers: [{ name: "web", image: "mk/web:v1" }] } });
  const withEmpty = PodTemplateSpec.fromJSON({ metadata: { labels: { app: "a" } }, spec: { containers: [{ name: "web", image: "mk/web:v1", resources: {} }] } });
  assert.ok(withEmpty.spec?.containers[0]?.resources, "the decoder keeps the empty struct");
  assert.equal(podTemplateHash(withEmpty), podTemplateHash(bare));
  assert.ok(equalIgnoreHash(withEmpty, bare));
  const limited = PodTemplateSpec.fromJSON({ metadata: { labels: { app: "a" } }, spec: { containers: [{ name: "web", image: "mk/web:v1", resources: { limits: { cpu: "1" } } }] } });
  assert.notEqual(podTemplateHash(limited), podTemplateHash(bare));
});
