// mkctl and the API server on ConfigMaps and Secrets: create configmap (literal, file, directory,
// env file), create secret generic|tls|docker-registry, get cm,secret tables, describe (a Secret's
// sizes, never its values), -o yaml (data in base64), and bad input refused naming the field with
// nothing written (a key with '/', a Secret over 1 MiB, a change to an immutable ConfigMap).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ConfigMap, Pod, Secret } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { type Clientset, InvalidError, isNotFound } from "@mk/proto/client";
import { type MkctlEnv, startMkctlEnv, tempDir, writeTemp } from "./mkctl.js";

let env: MkctlEnv;
let cs: Clientset;
let mkctl: MkctlEnv["mkctl"];
const dir = tempDir("mkctl-config-");

before(async () => {
  env = await startMkctlEnv();
  ({ cs, mkctl } = env);
});

after(() => env.stop());

async function absent(kind: "ConfigMap" | "Secret", name: string): Promise<boolean> {
  try {
    await cs.resource(kind).get(name, "default");
    return false;
  } catch (err) {
    return isNotFound(err);
  }
}

test("create configmap from literals, a file, a directory and an env file", async () => {
  const file = writeTemp(dir, "app.properties", "color=blue\n");
  const sub = join(dir, "conf.d");
  mkdirSync(sub);
  writeFileSync(join(sub, "a.conf"), "A");
  writeFileSync(join(sub, "b.conf"), "B");
  writeFileSync(join(sub, "not a key"), "skipped");
  writeFileSync(join(sub, "blob.bin"), Buffer.from([0xff, 0xfe, 0x00]));
  const env = writeTemp(dir, "app.env", "# comment\n\nMODE=prod\n  LEVEL=3\n");

  assert.deepEqual(await mkctl(["create", "configmap", "lit", "--from-literal=k1=v1", "--from-literal", "k2=a=b"]), { code: 0, stdout: "configmap/lit created\n", stderr: "" });
  assert.deepEqual((await cs.resource("ConfigMap").get("lit", "default")).data, { k1: "v1", k2: "a=b" });

  assert.equal((await mkctl(["create", "cm", "files", `--from-file=${file}`, `--from-file=renamed=${file}`, `--from-file=${sub}`])).code, 0);
  const files = await cs.resource("ConfigMap").get("files", "default");
  assert.deepEqual(files.data, { "app.properties": "color=blue\n", renamed: "color=blue\n", "a.conf": "A", "b.conf": "B" });
  assert.deepEqual(Object.keys(files.binaryData), ["blob.bin"], "a file that is not UTF-8 goes to binaryData");

  assert.equal((await mkctl(["create", "configmap", "envs", `--from-env-file=${env}`])).code, 0);
  assert.deepEqual((await cs.resource("ConfigMap").get("envs", "default")).data, { MODE: "prod", LEVEL: "3" });

  const table = await mkctl(["get", "cm"]);
  assert.match(table.stdout, /^NAME +DATA +AGE\nenvs +2 +\d+s\nfiles +5 +\d+s\nlit +2 +\d+s\n$/);

  const dup = await mkctl(["create", "configmap", "dup", "--from-literal=k=1", "--from-literal=k=2"]);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /cannot add key k/);
  assert.ok(await absent("ConfigMap", "dup"));
});

test("create secret generic, tls and docker-registry; get, describe and -o yaml", async () => {
  const value = "s3cr3t-value-7f2a";
  assert.deepEqual(await mkctl(["create", "secret", "generic", "db", `--from-literal=password=${value}`, "--from-literal=user=admin"]), { code: 0, stdout: "secret/db created\n", stderr: "" });
  const db = await cs.resource("Secret").get("db", "default");
  assert.equal(db.type, "Opaque");
  assert.equal(db.data.password?.toString(), value);

  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=mk", "-days", "1", "-keyout", join(dir, "tls.key"), "-out", join(dir, "tls.crt")], { stdio: "ignore" });
  assert.equal((await mkctl(["create", "secret", "tls", "web-tls", `--cert=${join(dir, "tls.crt")}`, `--key=${join(dir, "tls.key")}`])).code, 0);
  const tls = await cs.resource("Secret").get("web-tls", "default");
  assert.equal(tls.type, "kubernetes.io/tls");
  assert.deepEqual(Object.keys(tls.data).sort(), ["tls.crt", "tls.key"]);
  const mismatched = await mkctl(["create", "secret", "tls", "bad-tls", `--cert=${join(dir, "tls.crt")}`, `--key=${join(dir, "tls.crt")}`]);
  assert.equal(mismatched.code, 1);
  assert.ok(await absent("Secret", "bad-tls"));

  assert.equal((await mkctl(["create", "secret", "docker-registry", "pull", "--docker-server=127.0.0.1:5000", "--docker-username=u", "--docker-password=p"])).code, 0);
  const pull = await cs.resource("Secret").get("pull", "default");
  assert.equal(pull.type, "kubernetes.io/dockerconfigjson");
  assert.deepEqual(JSON.parse(pull.data[".dockerconfigjson"]?.toString() ?? ""), { auths: { "127.0.0.1:5000": { username: "u", password: "p", auth: Buffer.from("u:p").toString("base64") } } });

  const table = await mkctl(["get", "secret"]);
  assert.match(table.stdout, /^NAME +TYPE +DATA +AGE\ndb +Opaque +2 +\d+s\npull +kubernetes.io\/dockerconfigjson +1 +\d+s\nweb-tls +kubernetes.io\/tls +2 +\d+s\n$/);
  const both = await mkctl(["get", "cm,secret", "-o", "name"]);
  assert.match(both.stdout, /configmap\/lit\n[\s\S]*secret\/db\n/);

  const yaml = await mkctl(["get", "secret", "db", "-o", "yaml"]);
  assert.match(yaml.stdout, new RegExp(`password: ${Buffer.from(value).toString("base64")}\n`));
  assert.doesNotMatch(yaml.stdout, new RegExp(value));

  const described = await mkctl(["describe", "secret", "db"]);
  assert.match(described.stdout, /Type: +Opaque/);
  assert.match(described.stdout, new RegExp(`password: +${value.length} bytes`));
  assert.doesNotMatch(described.stdout, new RegExp(value));
});

test("stringData is folded into data and never stored; type defaults to Opaque", async () => {
  const s = Secret.fromPartial({ metadata: emptyMeta({ name: "sd", namespace: "default" }), data: { a: Buffer.from("old"), b: Buffer.from("kept") }, stringData: { a: "new" } });
  const created = await cs.resource("Secret").create(s);
  assert.deepEqual(created.stringData, {});
  assert.equal(created.type, "Opaque");
  assert.equal(created.data.a?.toString(), "new");
  assert.equal(created.data.b?.toString(), "kept");
});

async function invalid(p: Promise<unknown>): Promise<InvalidError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof InvalidError, `want InvalidError, got ${String(err)}`);
  return err;
}

test("bad input is refused naming the field, and nothing is written", async () => {
  const slash = await invalid(cs.resource("ConfigMap").create(ConfigMap.fromPartial({ metadata: emptyMeta({ name: "slash", namespace: "default" }), data: { "a/b": "x" } })));
  assert.deepEqual(
    slash.fields.map((f) => [f.field, f.value]),
    [["data", '"a/b"']],
  );
  assert.ok(await absent("ConfigMap", "slash"));
  const cli = await mkctl(["create", "configmap", "slash2", "--from-literal=a/b=x"]);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /"a\/b" is not a valid key name/);

  const big = Buffer.alloc(1024 * 1024 + 1, 0x61);
  const tooBig = await invalid(cs.resource("Secret").create(Secret.fromPartial({ metadata: emptyMeta({ name: "big", namespace: "default" }), data: { blob: big } })));
  assert.deepEqual(
    tooBig.fields.map((f) => [f.field, f.type]),
    [["data", "Too long"]],
  );
  assert.doesNotMatch(tooBig.message, /aaaa/, "the value is not in the error");
  assert.ok(await absent("Secret", "big"));

  const missingKey = await invalid(cs.resource("Secret").create(Secret.fromPartial({ metadata: emptyMeta({ name: "tls-half", namespace: "default" }), type: "kubernetes.io/tls", data: { "tls.crt": Buffer.from("x") } })));
  assert.deepEqual(
    missingKey.fields.map((f) => [f.field, f.type]),
    [["data[tls.key]", "Required"]],
  );

  const frozen = await cs.resource("ConfigMap").create(ConfigMap.fromPartial({ metadata: emptyMeta({ name: "frozen", namespace: "default" }), data: { k: "v1" }, immutable: true }));
  const changed = ConfigMap.fromPartial({ ...frozen, data: { k: "v2" } });
  const refused = await invalid(cs.resource("ConfigMap").update(changed));
  assert.deepEqual(
    refused.fields.map((f) => f.field),
    ["data"],
  );
  const unfrozen = await invalid(cs.resource("ConfigMap").update(ConfigMap.fromPartial({ ...frozen, immutable: false })));
  assert.deepEqual(
    unfrozen.fields.map((f) => f.field),
    ["immutable"],
  );
  assert.deepEqual((await cs.resource("ConfigMap").get("frozen", "default")).data, { k: "v1" }, "nothing written");
  // Metadata may still change (labels), as in Kubernetes.
  const labelled = await cs.resource("ConfigMap").update(ConfigMap.fromPartial({ ...frozen, metadata: { ...emptyMeta(frozen.metadata), labels: { a: "b" } } }));
  assert.deepEqual(labelled.metadata?.labels, { a: "b" });

  const typeChange = await cs.resource("Secret").get("sd", "default");
  const retyped = await invalid(cs.resource("Secret").update(Secret.fromPartial({ ...typeChange, type: "example.com/custom" })));
  assert.deepEqual(
    retyped.fields.map((f) => f.field),
    ["type"],
  );
});

test("apply -f takes Kubernetes' ConfigMap and Secret YAML (stringData, base64 data) and refuses bad base64", async () => {
  const manifest = writeTemp(
    dir,
    "config.yaml",
    `apiVersion: v1
kind: ConfigMap
metadata:
  name: applied
data:
  app.conf: |
    mode=fast
binaryData:
  raw: AQID
---
apiVersion: v1
kind: Secret
metadata:
  name: applied
type: kubernetes.io/basic-auth
stringData:
  username: admin
data:
  password: cGFzcw==
`,
  );
  const r = await mkctl(["apply", "-f", manifest]);
  assert.equal(r.stdout, "configmap/applied created\nsecret/applied created\n", r.stderr);
  const cm = await cs.resource("ConfigMap").get("applied", "default");
  assert.deepEqual(cm.data, { "app.conf": "mode=fast\n" });
  assert.deepEqual([...(cm.binaryData.raw ?? [])], [1, 2, 3]);
  const s = await cs.resource("Secret").get("applied", "default");
  assert.equal(s.data.username?.toString(), "admin");
  assert.equal(s.data.password?.toString(), "pass");
  assert.match(s.metadata?.annotations["kubectl.kubernetes.io/last-applied-configuration"] ?? "", /cGFzcw==/, "apply recorded the data, as kubectl does");
  const described = await mkctl(["describe", "secret", "applied"]);
  assert.match(described.stdout, /password: +4 bytes/);
  assert.doesNotMatch(described.stdout, /cGFzcw==|last-applied/, "describe leaves the last-applied data out, as kubectl does");

  const bad = writeTemp(dir, "bad.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: bad64\ndata:\n  k: not*base64\n");
  const refused = await mkctl(["apply", "-f", bad]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /data\[k\]/);
  assert.doesNotMatch(refused.stderr, /not\*base64/);
  assert.ok(await absent("Secret", "bad64"));
});

test("a pod's references to ConfigMaps and Secrets are validated, naming each field", async () => {
  const pod = Pod.fromPartial({
    metadata: emptyMeta({ name: "refs", namespace: "default" }),
    spec: {
      containers: [
        {
          name: "app",
          image: "mk/busybox:1",
          env: [
            { name: "A", value: "x", valueFrom: { configMapKeyRef: { name: "cm", key: "k" } } },
            { name: "B", valueFrom: { secretKeyRef: { name: "s", key: "a/b" } } },
          ],
          envFrom: [{ prefix: "1BAD", configMapRef: { name: "cm" }, secretRef: { name: "s" } }],
          volumeMounts: [{ name: "cfg", mountPath: "/cfg" }],
        },
      ],
      volumes: [
        { name: "cfg", configMap: { name: "cm", items: [{ key: "k", path: "../escape", mode: 0o1000 }], defaultMode: -1 } },
        { name: "sec", secret: { secretName: "" } },
      ],
    },
  });
  const err = await invalid(cs.pods.create(pod));
  const want = [
    "spec.containers[0].env[0].valueFrom",
    "spec.containers[0].env[1].valueFrom.secretKeyRef.key",
    "spec.containers[0].envFrom[0]",
    "spec.containers[0].envFrom[0].prefix",
    "spec.volumes[0].configMap.defaultMode",
    "spec.volumes[0].configMap.items[0].mode",
    "spec.volumes[0].configMap.items[0].path",
    "spec.volumes[1].secret.secretName",
  ];
  assert.deepEqual(err.fields.map((f) => f.field).sort(), want.sort());
});
