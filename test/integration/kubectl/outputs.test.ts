// get's outputs beside Kubernetes' kubectl on the same server and argv: --sort-by, -o custom-columns
// and custom-columns-file, -L label columns, --show-kind, and the JSONPath forms (escaped dots,
// unions, slices with a step).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ConfigMap, Pod, Secret } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { type BothEnv, KUBECTL_MISSING, masked, startBothEnv } from "./tls-env.js";
import { writeTemp } from "./mkctl.js";

let env: BothEnv;

before(async () => {
  env = await startBothEnv();
  const cms: [string, Record<string, string>, Record<string, string>][] = [
    ["cm-10", { app: "web", tier: "front" }, { a: "1" }],
    ["cm-2", { app: "db", tier: "back", "app.kubernetes.io/name": "store" }, { a: "1", b: "2", c: "3" }],
    ["cm-1", { app: "web" }, { a: "1", b: "2" }],
    ["cm-3", {}, {}],
  ];
  for (const [name, labels, data] of cms) {
    await env.cs.resource("ConfigMap").create(ConfigMap.fromPartial({ apiVersion: "v1", kind: "ConfigMap", metadata: emptyMeta({ name, namespace: "default", labels }), data }));
  }
  await env.cs.pods.create(
    Pod.fromPartial({
      apiVersion: "v1",
      kind: "Pod",
      metadata: emptyMeta({ name: "two", namespace: "default" }),
      spec: { containers: [{ name: "web", image: "mk/web:v1" }, { name: "side", image: "mk/busybox:1" }] },
    }),
  );
  await env.cs.resource("Secret").create(
    Secret.fromPartial({
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: emptyMeta({ name: "tls", namespace: "default" }),
      data: { "tls.crt": Buffer.from("CERT"), "tls.key": Buffer.from("KEY") },
    }),
  );
});
after(() => env?.stop());

/** Runs both tools on argv and returns mkctl's result after checking it against kubectl's. */
async function same(argv: string[], mask = false): Promise<string> {
  const [m, k] = await Promise.all([env.mkctl(argv), env.kubectl(argv)]);
  assert.equal(k.code, 0, `kubectl ${argv.join(" ")}: ${k.stderr}`);
  assert.equal(m.code, 0, `mkctl ${argv.join(" ")}: ${m.stderr}`);
  assert.equal(mask ? masked(m.stdout) : m.stdout, mask ? masked(k.stdout) : k.stdout, argv.join(" "));
  return m.stdout;
}

test("--sort-by orders by the path's value, as kubectl", { skip: KUBECTL_MISSING }, async () => {
  const byName = await same(["get", "cm", "--sort-by=.metadata.name", "-o", "name"]);
  assert.deepEqual(byName.trim().split("\n").filter((l) => l.startsWith("configmap/cm")), ["configmap/cm-1", "configmap/cm-10", "configmap/cm-2", "configmap/cm-3"]);
  await same(["get", "cm", "--sort-by={.metadata.labels.tier}", "-o", "custom-columns=NAME:.metadata.name"]);
  await same(["get", "cm", "--sort-by", "{.data.b}", "-o", "name"]);
});

test("-o custom-columns and custom-columns-file: values, lists joined by commas, maps as Go prints them, <none>", { skip: KUBECTL_MISSING }, async () => {
  // (Not `{.data.*}`: Go visits a map's values in random order, so kubectl's own output varies.)
  const out = await same(["get", "cm", "-o", "custom-columns=NAME:.metadata.name,APP:.metadata.labels.app,DATA:.data,FIRST:{.metadata.managedFields[*].manager}"]);
  assert.match(out, /^NAME +APP +DATA +FIRST\n/);
  assert.match(out, /\ncm-2 +db +map\[a:1 b:2 c:3\] +<none>\n/);
  assert.match(out, /\ncm-3 +<none> +<none> +<none>\n/);
  const images = await same(["get", "pods", "-o", "custom-columns=NAME:.metadata.name,CONTAINERS:.spec.containers[*].name,IMAGE:.spec.containers[0].image"]);
  assert.equal(images, "NAME   CONTAINERS   IMAGE\ntwo    web,side     mk/web:v1\n");
  await same(["get", "cm", "-o", "custom-columns=NAME:metadata.name,RV:{.metadata.resourceVersion}", "--no-headers"]);
  const file = writeTemp(env.dir, "columns.txt", "NAME          TIER\nmetadata.name .metadata.labels.tier\n");
  await same(["get", "cm", `-o=custom-columns-file=${file}`]);
});

test("-L adds a column per label key, --show-kind prefixes names with the kind", { skip: KUBECTL_MISSING }, async () => {
  const labels = await same(["get", "cm", "-L", "app", "-L", "tier,app.kubernetes.io/name"], true);
  assert.match(labels, /^NAME +DATA +AGE +APP +TIER +NAME\n/);
  await same(["get", "cm", "-L", "app", "--show-labels"], true);
  const kinds = await same(["get", "cm", "cm-1", "--show-kind"], true);
  assert.match(kinds, /\nconfigmap\/cm-1 /);
});

test("JSONPath: escaped dots, unions and slices with a step, as kubectl prints them", { skip: KUBECTL_MISSING }, async () => {
  assert.equal(await same(["get", "secret", "tls", "-o", "jsonpath={.data.tls\\.crt}"]), Buffer.from("CERT").toString("base64"));
  await same(["get", "secret", "tls", "-o", "jsonpath={.data['tls\\.crt','tls\\.key']}"]);
  await same(["get", "cm", "-o", "jsonpath={.items[*].metadata['name','resourceVersion']}"]);
  await same(["get", "cm", "--sort-by=.metadata.name", "-o", "jsonpath={.items[0:4:2].metadata.name}"]);
  await same(["get", "cm", "--sort-by=.metadata.name", "-o", "jsonpath={.items[::3].metadata.name}"]);
  await same(["get", "cm", "-o", "jsonpath={range .items[*]}{.metadata.name}{'\\t'}{.metadata.labels}{'\\n'}{end}"]);
});

test("custom-columns mistakes are refused before any call, as kubectl refuses them", { skip: KUBECTL_MISSING }, async () => {
  for (const argv of [
    ["get", "cm", "-o", "custom-columns="],
    ["get", "cm", "-o", "custom-columns=NAME"],
  ]) {
    const [m, k] = await Promise.all([env.mkctl(argv), env.kubectl(argv)]);
    assert.equal(m.stderr, k.stderr, argv.join(" "));
    assert.equal(m.code, k.code, argv.join(" "));
  }
});
