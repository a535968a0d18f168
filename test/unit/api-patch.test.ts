// The three patch types of @mk/proto/api: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and
// strategic merge patch with Kubernetes' merge keys and directives, and the three-way patch mkctl
// apply computes from them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { applyJsonPatch, applyMergePatch, applyPatch, type JsonObject, PatchError, PatchMaker, Schema, StrategicMerge } from "@mk/proto/api";

const schema = Schema.load();
const smp = new StrategicMerge(schema);
const maker = new PatchMaker(schema);

function deployment(containers: JsonObject[], extra: JsonObject = {}): JsonObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", labels: { app: "web" }, finalizers: ["a", "b"] },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers, ...extra } },
    },
  };
}

const WEB: JsonObject = {
  name: "web",
  image: "mk/web:v1",
  env: [
    { name: "A", value: "1" },
    { name: "B", value: "2" },
  ],
  ports: [{ containerPort: 80 }, { containerPort: 443 }],
};
const SIDE: JsonObject = { name: "side", image: "mk/busybox:1", command: ["sleep", "3600"] };

function containersOf(d: JsonObject): JsonObject[] {
  const spec = d.spec as JsonObject;
  return ((spec.template as JsonObject).spec as JsonObject).containers as JsonObject[];
}

/** The PatchError thrown by fn, for assertions on its path. */
function patchError(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PatchError) return err;
    throw err;
  }
  assert.fail("expected a PatchError");
}

describe("JSON patch (RFC 6902)", () => {
  const doc: JsonObject = { a: { b: [1, 2, 3] }, c: "x" };

  test("add, remove, replace, move, copy and test, in order, on a copy", () => {
    const out = applyJsonPatch(doc, [
      { op: "test", path: "/c", value: "x" },
      { op: "add", path: "/a/b/1", value: 9 },
      { op: "add", path: "/a/b/-", value: 4 },
      { op: "remove", path: "/a/b/0" },
      { op: "replace", path: "/c", value: "y" },
      { op: "copy", from: "/c", path: "/d" },
      { op: "move", from: "/d", path: "/a/e~1f" },
    ]);
    assert.deepEqual(out, { a: { b: [9, 2, 3, 4], "e/f": "y" }, c: "y" });
    assert.deepEqual(doc, { a: { b: [1, 2, 3] }, c: "x" }, "the input is left as it was");
  });

  test("a failed test or a missing path refuses the whole patch, naming the operation and path", () => {
    const t = patchError(() => applyJsonPatch(doc, [{ op: "replace", path: "/c", value: "z" }, { op: "test", path: "/c", value: "x" }]));
    assert.equal(t.failed, true);
    assert.match(t.message, /\[1\] test \/c: test failed/);
    assert.match(patchError(() => applyJsonPatch(doc, [{ op: "remove", path: "/nope" }])).message, /\[0\] remove \/nope: path "\/nope" does not exist/);
    assert.match(patchError(() => applyJsonPatch(doc, [{ op: "replace", path: "/a/b/7", value: 1 }])).message, /out of bounds/);
  });

  test("malformed operations are refused naming their index", () => {
    assert.match(patchError(() => applyJsonPatch(doc, { op: "add" })).message, /must be an array/);
    assert.match(patchError(() => applyJsonPatch(doc, [{ op: "frobnicate", path: "/c" }])).message, /^\[0\]\.op: unsupported operation "frobnicate"/);
    assert.match(patchError(() => applyJsonPatch(doc, [{ op: "add", path: "/c" }])).message, /^\[0\]: operation "add" needs a "value"/);
    assert.match(patchError(() => applyJsonPatch(doc, [{ op: "move", path: "/c" }])).message, /needs a string "from"/);
    assert.match(patchError(() => applyJsonPatch(doc, [{ op: "add", path: "c", value: 1 }])).message, /must start with "\/"/);
  });
});

describe("JSON merge patch (RFC 7386)", () => {
  test("objects merge, null removes, lists are replaced whole", () => {
    const d = deployment([WEB, SIDE]);
    const out = applyMergePatch(d, { metadata: { labels: { app: null, tier: "f" } }, spec: { replicas: 5, template: { spec: { containers: [{ name: "web", image: "x" }] } } } });
    assert.deepEqual((out.metadata as JsonObject).labels, { tier: "f" });
    assert.equal((out.spec as JsonObject).replicas, 5);
    assert.deepEqual(containersOf(out), [{ name: "web", image: "x" }]);
    assert.match(patchError(() => applyMergePatch(d, [1])).message, /must be a JSON object/);
  });
});

describe("strategic merge patch", () => {
  test("patching one container of a two-container template leaves the other untouched", () => {
    const d = deployment([WEB, SIDE]);
    const out = smp.apply("Deployment", d, { spec: { template: { spec: { containers: [{ name: "side", image: "mk/busybox:2" }] } } } });
    assert.deepEqual(containersOf(out), [WEB, { ...SIDE, image: "mk/busybox:2" }]);
    // The same patch as a merge patch replaces the list: the difference strategic merge makes.
    assert.equal(containersOf(applyMergePatch(d, { spec: { template: { spec: { containers: [{ name: "side", image: "mk/busybox:2" }] } } } })).length, 1);
  });

  test("env merges by name, ports by containerPort, new items are appended", () => {
    const d = deployment([WEB]);
    const out = smp.apply("Deployment", d, {
      spec: { template: { spec: { containers: [{ name: "web", env: [{ name: "B", value: "3" }, { name: "C", value: "4" }], ports: [{ containerPort: 443, name: "https" }] }] } } },
    });
    const [web] = containersOf(out);
    assert.deepEqual(web?.env, [
      { name: "A", value: "1" },
      { name: "B", value: "3" },
      { name: "C", value: "4" },
    ]);
    assert.deepEqual(web?.ports, [{ containerPort: 80 }, { containerPort: 443, name: "https" }]);
  });

  test("service ports merge by port, status conditions by type, lists without a strategy are replaced", () => {
    const svc: JsonObject = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 53, protocol: "UDP" }], selector: { app: "a" } } };
    const out = smp.apply("Service", svc, { spec: { ports: [{ port: 80, name: "http" }] } });
    assert.deepEqual((out.spec as JsonObject).ports, [{ port: 80, targetPort: 8080, name: "http" }, { port: 53, protocol: "UDP" }]);
    const pod: JsonObject = { status: { conditions: [{ type: "Ready", status: "False" }, { type: "Initialized", status: "True" }] } };
    const p2 = smp.apply("Pod", pod, { status: { conditions: [{ type: "Ready", status: "True" }] } });
    assert.deepEqual((p2.status as JsonObject).conditions, [{ type: "Ready", status: "True" }, { type: "Initialized", status: "True" }]);
    // command is atomic: replaced, not merged.
    const d = smp.apply("Deployment", deployment([SIDE]), { spec: { template: { spec: { containers: [{ name: "side", command: ["true"] }] } } } });
    assert.deepEqual(containersOf(d)[0]?.command, ["true"]);
  });

  test("$setElementOrder keeps the order the patch gives", () => {
    const d = deployment([WEB, SIDE]);
    const out = smp.apply("Deployment", d, {
      spec: { template: { spec: { "$setElementOrder/containers": [{ name: "side" }, { name: "extra" }, { name: "web" }], containers: [{ name: "extra", image: "mk/web:v2" }] } } },
    });
    assert.deepEqual(
      containersOf(out).map((c) => c.name),
      ["side", "extra", "web"],
    );
    const fin = smp.apply("Deployment", d, { metadata: { "$setElementOrder/finalizers": ["b", "c", "a"], finalizers: ["c"] } });
    assert.deepEqual((fin.metadata as JsonObject).finalizers, ["b", "c", "a"]);
  });

  test("$patch: delete removes a list item by its key, or a whole map", () => {
    const d = deployment([WEB, SIDE]);
    const out = smp.apply("Deployment", d, { spec: { template: { spec: { containers: [{ name: "web", $patch: "delete" }] } } } });
    assert.deepEqual(containersOf(out), [SIDE]);
    const noStrategy = smp.apply("Deployment", d, { spec: { strategy: { $patch: "delete" } } });
    assert.equal((noStrategy.spec as JsonObject).strategy, undefined);
  });

  test("$patch: replace replaces a list or a map whole; $patch: merge is the default", () => {
    const d = deployment([WEB, SIDE]);
    const out = smp.apply("Deployment", d, { spec: { template: { spec: { containers: [{ $patch: "replace" }, { name: "only", image: "i" }] } } } });
    assert.deepEqual(containersOf(out), [{ name: "only", image: "i" }]);
    const labels = smp.apply("Deployment", d, { metadata: { labels: { $patch: "replace", tier: "x" } } });
    assert.deepEqual((labels.metadata as JsonObject).labels, { tier: "x" });
    const merged = smp.apply("Deployment", d, { metadata: { labels: { $patch: "merge", tier: "x" } } });
    assert.deepEqual((merged.metadata as JsonObject).labels, { app: "web", tier: "x" });
  });

  test("$retainKeys clears the keys it does not list (a Deployment switched to Recreate)", () => {
    const d = deployment([WEB]);
    const out = smp.apply("Deployment", d, { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } });
    assert.deepEqual((out.spec as JsonObject).strategy, { type: "Recreate" });
    const err = patchError(() => smp.apply("Deployment", d, { spec: { strategy: { $retainKeys: ["type"], rollingUpdate: { maxSurge: 1 } } } }));
    assert.equal(err.path, "spec.strategy.rollingUpdate");
  });

  test("$deleteFromPrimitiveList removes values from a merged list of primitives", () => {
    const d = deployment([WEB]);
    const out = smp.apply("Deployment", d, { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"], finalizers: ["z"] } });
    assert.deepEqual((out.metadata as JsonObject).finalizers, ["b", "z"]);
    const err = patchError(() => smp.apply("Deployment", d, { spec: { template: { spec: { containers: [{ name: "side", "$deleteFromPrimitiveList/command": ["x"] }] } } } }));
    assert.equal(err.path, "spec.template.spec.containers[name=side].$deleteFromPrimitiveList/command");
  });

  test("invalid patches are refused naming the path", () => {
    const d = deployment([WEB, SIDE]);
    const unknown = patchError(() => smp.apply("Deployment", d, { spec: { template: { spec: { $frob: 1 } } } }));
    assert.equal(unknown.path, "spec.template.spec.$frob");
    assert.match(unknown.message, /unknown directive "\$frob"/);
    const badType = patchError(() => smp.apply("Deployment", d, { spec: { template: { spec: { containers: [{ name: "web", $patch: "explode" }] } } } }));
    assert.equal(badType.path, "spec.template.spec.containers[0].$patch");
    const noKey = patchError(() => smp.apply("Deployment", d, { spec: { template: { spec: { containers: [{ image: "x" }] } } } }));
    assert.equal(noKey.path, "spec.template.spec.containers[0]");
    assert.match(noKey.message, /merge key "name"/);
    assert.match(patchError(() => smp.apply("Deployment", d, { metadata: { $patch: "nope" } })).message, /^metadata\.\$patch: unknown patch type "nope"/);
    assert.throws(() => applyPatch(schema, "Deployment", "strategic", d, "x"), PatchError);
  });
});

describe("three-way strategic merge patch (mkctl apply)", () => {
  const manifest = deployment([WEB, SIDE]);
  const live = structuredClone(manifest);
  // What the server added: a default and a status, and a field someone else set.
  ((live.spec as JsonObject).template as JsonObject).spec = { ...(((live.spec as JsonObject).template as JsonObject).spec as JsonObject), restartPolicy: "Always" };
  live.status = { replicas: 3 };
  (live.metadata as JsonObject).resourceVersion = "7";

  test("an unchanged manifest gives an empty patch", () => {
    assert.deepEqual(maker.threeWay("Deployment", manifest, manifest, live), {});
  });

  test("one changed image patches that container only, with the list's order", () => {
    const modified = deployment([{ ...WEB, image: "mk/web:v2" }, SIDE]);
    const patch = maker.threeWay("Deployment", manifest, modified, live);
    assert.deepEqual(patch, { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "web" }, { name: "side" }], containers: [{ name: "web", image: "mk/web:v2" }] } } } });
    const out = smp.apply("Deployment", live, patch);
    assert.deepEqual(containersOf(out), [{ ...WEB, image: "mk/web:v2" }, SIDE]);
    assert.equal((((out.spec as JsonObject).template as JsonObject).spec as JsonObject).restartPolicy, "Always", "what the server set stays");
  });

  test("what the last manifest set and the new one drops is removed; the rest stays", () => {
    const modified = deployment([{ ...WEB, env: [{ name: "A", value: "1" }] }]);
    delete (modified.metadata as JsonObject).labels;
    const patch = maker.threeWay("Deployment", manifest, modified, live);
    const out = smp.apply("Deployment", live, patch);
    assert.deepEqual(containersOf(out), [{ ...WEB, env: [{ name: "A", value: "1" }] }]);
    assert.equal((out.metadata as JsonObject).labels, undefined);
    assert.deepEqual(out.status, { replicas: 3 });
  });

  test("a strategy switched to Recreate drops rollingUpdate through $retainKeys", () => {
    const modified = deployment([WEB, SIDE]);
    (modified.spec as JsonObject).strategy = { type: "Recreate" };
    const out = smp.apply("Deployment", live, maker.threeWay("Deployment", manifest, modified, live));
    assert.deepEqual((out.spec as JsonObject).strategy, { type: "Recreate" });
  });

  test("a two-way patch turns one object into the other", () => {
    const to = deployment([SIDE, { ...WEB, image: "z" }]);
    (to.metadata as JsonObject).finalizers = ["b", "c"];
    assert.deepEqual(smp.apply("Deployment", manifest, maker.twoWay("Deployment", manifest, to)), to);
  });
});

// Found by the HTTP request fuzzer: a patch carrying a value nested 100 000 deep ran the recursive
// patch code out of stack (RangeError, the API server's 500). applyPatch refuses it first, naming where.
describe("a patch nested deeper than any object", () => {
  const cm: JsonObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "default", labels: { a: "b" } }, data: {} };
  const deepArrays = JSON.parse(`${"[".repeat(100_000)}1${"]".repeat(100_000)}`) as JsonObject;
  const deepObjects = JSON.parse(`${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`) as JsonObject;

  test("is a PatchError naming the operation (JSON patch) or the field (merge, strategic), for any depth", () => {
    for (const value of [deepArrays, deepObjects]) {
      assert.throws(
        () => applyPatch(schema, "ConfigMap", "json", cm, [{ op: "add", path: "/metadata/labels/deep", value }]),
        (e: unknown) => e instanceof PatchError && e.message.includes("[0] add /metadata/labels/deep") && e.message.includes("nested deeper than 100 levels"),
      );
      for (const type of ["merge", "strategic"] as const) {
        assert.throws(
          () => applyPatch(schema, "ConfigMap", type, cm, { metadata: { labels: { deep: value } } }),
          (e: unknown) => e instanceof PatchError && e.message.startsWith("metadata.labels.deep") && e.message.includes("nested deeper than 100 levels"),
        );
      }
    }
  });

  test("the patch functions themselves would overflow the stack on it (what the check keeps them from)", () => {
    assert.throws(() => applyMergePatch(cm, { metadata: { labels: { deep: deepObjects } } }), RangeError);
  });

  test("a patch as deep as real objects go still applies", () => {
    const nested = JSON.parse(`${'{"a":'.repeat(90)}1${"}".repeat(90)}`) as JsonObject;
    const out = applyPatch(schema, "ConfigMap", "merge", cm, { metadata: { annotations: { x: "y" } }, extra: nested });
    assert.equal((out.metadata as JsonObject).annotations ? "y" : "", "y");
  });
});
