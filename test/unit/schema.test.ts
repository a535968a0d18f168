import assert from "node:assert/strict";
import { test } from "node:test";
import { validateIntOrPercent } from "@mk/apiserver/registry/validation.js";
import { MAX_STRING_BYTES, Schema, suggest } from "@mk/proto/api";
import { parse } from "yaml";

const schema = Schema.load();
const doc = (text: string) => parse(text) as { [k: string]: never };

const BASE = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: "25%"}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: mk/web:v1
        ports: [{containerPort: 8080}]
        resources: {limits: {cpu: 1, memory: 64Mi}, requests: {cpu: "100m"}}
        readinessProbe: {httpGet: {path: /, port: 8080}}
        livenessProbe: {tcpSocket: {port: http}}
`;

test("a correct manifest passes; int-or-string and quantities take numbers and strings", () => {
  const r = schema.check("Deployment", doc(BASE));
  assert.deepEqual(r.errors, []);
  const spec = r.cleaned.spec as { strategy: { rollingUpdate: { maxSurge: string } } };
  assert.equal(spec.strategy.rollingUpdate.maxSurge, "1");
});

test("unknown fields are named by path, with a suggestion for typos", () => {
  const d = doc(BASE.replace("replicas: 2", "replica: 2\n  foo: bar").replace("containerPort: 8080", "containerport: 8080"));
  const r = schema.check("Deployment", d);
  assert.deepEqual(
    r.errors.map((e) => [e.field, e.type, e.detail]),
    [
      ["spec.replica", "Unknown", 'did you mean "replicas"?'],
      ["spec.foo", "Unknown", ""],
      ["spec.template.spec.containers[0].ports[0].containerport", "Unknown", 'did you mean "containerPort"?'],
    ],
  );
  assert.equal((r.cleaned.spec as { foo?: string }).foo, undefined);
});

test("wrong types are named by path", () => {
  const d = doc(BASE.replace("replicas: 2", "replicas: two").replace("labels: {app: web}}\n    spec", "labels: {app: web, v: 1}}\n    spec"));
  const r = schema.check("Deployment", d);
  assert.deepEqual(
    r.errors.map((e) => `${e.field}: ${e.detail}`),
    ["spec.replicas: must be of type integer", "spec.template.metadata.labels[v]: must be of type string"],
  );
  const c = schema.check("Deployment", doc(`apiVersion: apps/v1\nkind: Deployment\nspec: {template: {spec: {containers: {name: x}}}}`));
  assert.deepEqual(c.errors.map((e) => e.field), ["spec.template.spec.containers"]);
  const f = schema.check("Deployment", doc(`apiVersion: apps/v1\nkind: Deployment\nspec: {replicas: 1.5, paused: "yes"}`));
  assert.deepEqual(f.errors.map((e) => `${e.field}: ${e.detail}`), ["spec.replicas: must be of type integer", "spec.paused: must be of type boolean"]);
});

test("null means unset, as in Kubernetes' JSON", () => {
  const r = schema.check("Deployment", doc(`apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, labels: null}\nspec: {strategy: null}`));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.cleaned.metadata, { name: "x" });
});

test("suggestions only for near misses", () => {
  assert.equal(suggest("replica", ["replicas", "selector"]), "replicas");
  assert.equal(suggest("foo", ["replicas", "selector"]), undefined);
  assert.equal(suggest("IMAGE", ["image"]), "image");
});

test("a container port's hostIP is known by Kubernetes' name", () => {
  const d = doc(BASE.replace("ports: [{containerPort: 8080}]", "ports: [{containerPort: 8080, hostPort: 8080, hostIP: 127.0.0.1}]"));
  assert.deepEqual(schema.check("Deployment", d).errors, []);
});

// Found by the HTTP request fuzzer: a 2 MiB string passed the schema check and reached etcd, whose
// refusal was the API server's 500. The gRPC edge's wire guard refuses strings over 256 KiB; the
// schema check (the HTTP edge's, and a patch result's) now does too, naming the field.
test("a string over 256 KiB is TooLong, named by path; one of 256 KiB passes", () => {
  const big = "x".repeat(MAX_STRING_BYTES + 1);
  const manifest = doc(BASE);
  const spec = manifest.spec as unknown as { template: { spec: { containers: { image: string; env?: { name: string; value: string }[] }[] } } };
  spec.template.spec.containers[0]!.env = [{ name: "A", value: big }];
  const { errors } = schema.check("Deployment", manifest);
  assert.deepEqual(
    errors.map((e) => [e.field, e.type]),
    [["spec.template.spec.containers[0].env[0].value", "TooLong"]],
  );
  // Multi-byte characters count as bytes, as on the wire.
  const labels = { metadata: { name: "n", annotations: { big: "é".repeat(MAX_STRING_BYTES / 2 + 1) } } };
  assert.deepEqual(schema.check("Namespace", labels as never).errors.map((e) => e.field), ["metadata.annotations[big]"]);
  spec.template.spec.containers[0]!.env = [{ name: "A", value: "x".repeat(MAX_STRING_BYTES) }];
  assert.deepEqual(schema.check("Deployment", manifest).errors, []);
});

// Found by the HTTP request fuzzer: `maxUnavailable: 1e20` (and 1.5) was turned into the string
// "100000000000000000000" and stored; Kubernetes' IntOrString holds an int32.
test("an int-or-string field takes an int32 or a string; other numbers are named", () => {
  for (const bad of [1.5, 1e20, 2 ** 31, -(2 ** 31) - 1, Number.POSITIVE_INFINITY]) {
    const manifest = doc(BASE);
    (manifest.spec as unknown as { strategy: { rollingUpdate: { maxUnavailable: unknown } } }).strategy.rollingUpdate.maxUnavailable = bad;
    assert.deepEqual(
      schema.check("Deployment", manifest).errors.map((e) => [e.field, e.detail]),
      [["spec.strategy.rollingUpdate.maxUnavailable", "must be of type int32 or string"]],
      String(bad),
    );
  }
  const ok = doc(BASE);
  (ok.spec as unknown as { strategy: { rollingUpdate: { maxUnavailable: unknown } } }).strategy.rollingUpdate.maxUnavailable = 2 ** 31 - 1;
  assert.deepEqual(schema.check("Deployment", ok).errors, []);
});

test("validateIntOrPercent: the int of an IntOrString is an int32, a percent at most 100%", () => {
  const errs = (v: string) => {
    const out: { field: string; detail?: string }[] = [];
    validateIntOrPercent("spec.strategy.rollingUpdate.maxSurge", v, out as never);
    return out.map((e) => e.field);
  };
  assert.deepEqual(errs("2147483647"), []);
  assert.deepEqual(errs("25%"), []);
  assert.deepEqual(errs("2147483648"), ["spec.strategy.rollingUpdate.maxSurge"]);
  assert.deepEqual(errs("100000000000000000000"), ["spec.strategy.rollingUpdate.maxSurge"]);
  assert.deepEqual(errs("101%"), ["spec.strategy.rollingUpdate.maxSurge"]);
});
