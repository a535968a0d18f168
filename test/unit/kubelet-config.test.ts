// Unit tests of the kubelet's ConfigMap and Secret handling: the atomic writer (..data swap, links,
// no write when unchanged, modes, a reader never sees a mix), env resolution (envFrom, prefix,
// valueFrom, optional, the CreateContainerConfigError messages) and volume projection (items, modes);
// the downward API (fieldRef and resourceFieldRef in env, downwardAPI and projected volumes).
import assert from "node:assert/strict";
import { lstat, mkdtemp, readdir, readFile, readlink, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type ConfigApi, ConfigReader } from "@mk/kubelet/config/api.js";
import { type Payload, payloadPathError, writeAtomically } from "@mk/kubelet/config/atomic-writer.js";
import { resolveEnv } from "@mk/kubelet/config/env.js";
import { writeConfigVolumes } from "@mk/kubelet/config/volumes.js";
import { PodConfigError } from "@mk/kubelet/runtime/pod-spec.js";
import { ConfigMap, Container, emptyMeta, Pod, Secret, formatMap } from "@mk/proto";

/** The downward API's view of a pod on a node with 2 cpus and 4Gi. */
const info = (pod = Pod.fromPartial({})) => ({ pod, podIP: "10.244.1.7" as string | undefined, hostIP: "192.168.5.2", allocatable: { cpu: "2", memory: "4Gi" } });

const file = (s: string, mode = 0o644) => ({ data: Buffer.from(s), mode });
const payload = (entries: Record<string, string>, mode = 0o644): Payload => new Map(Object.entries(entries).map(([k, v]) => [k, file(v, mode)]));

test("atomic writer: ..data points at one version, keys are links through it, old versions go", async () => {
  const dir = await mkdtemp(join(tmpdir(), "aw-"));
  assert.equal(await writeAtomically(dir, payload({ a: "1", b: "1", "sub/c": "1" })), true);
  const first = await readlink(join(dir, "..data"));
  assert.match(first, /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);
  assert.equal(await readlink(join(dir, "a")), "..data/a");
  assert.equal(await readlink(join(dir, "sub")), "..data/sub");
  assert.equal(await readFile(join(dir, "sub/c"), "utf8"), "1");

  assert.equal(await writeAtomically(dir, payload({ a: "1", b: "1", "sub/c": "1" })), false, "same payload: nothing written");
  assert.equal(await readlink(join(dir, "..data")), first);

  assert.equal(await writeAtomically(dir, payload({ a: "2", d: "2" })), true);
  const second = await readlink(join(dir, "..data"));
  assert.notEqual(second, first);
  assert.equal(await readFile(join(dir, "a"), "utf8"), "2");
  assert.equal(await readFile(join(dir, "d"), "utf8"), "2");
  const names = (await readdir(dir)).sort();
  assert.deepEqual(names, ["..data", second, "a", "d"].sort(), "links of removed keys and the old version are gone");
  assert.ok((await lstat(join(dir, "a"))).isSymbolicLink());
});

test("atomic writer: file modes exactly as asked (umask ignored), a mode change is a change", async () => {
  const dir = await mkdtemp(join(tmpdir(), "aw-"));
  await writeAtomically(dir, payload({ key: "x" }, 0o400));
  assert.equal((await stat(join(dir, "key"))).mode & 0o777, 0o400);
  assert.equal(await writeAtomically(dir, payload({ key: "x" }, 0o640)), true);
  assert.equal((await stat(join(dir, "key"))).mode & 0o777, 0o640);
});

test("atomic writer: a reader resolving ..data once never sees one old and one new key", async () => {
  const dir = await mkdtemp(join(tmpdir(), "aw-"));
  await writeAtomically(dir, payload({ a: "0", b: "0" }));
  let mixes = 0;
  let reads = 0;
  let stop = false;
  const reader = (async () => {
    while (!stop) {
      try {
        const version = join(dir, await readlink(join(dir, "..data")));
        const [a, b] = [await readFile(join(version, "a"), "utf8"), await readFile(join(version, "b"), "utf8")];
        reads++;
        if (a !== b) mixes++;
      } catch {
        // The version was removed while being read: no answer, not a mix.
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  for (let i = 1; i <= 50; i++) await writeAtomically(dir, payload({ a: String(i), b: String(i) }));
  stop = true;
  await reader;
  assert.ok(reads > 0);
  assert.equal(mixes, 0);
});

test("payload paths: relative, no '..' element, no leading '..'", () => {
  assert.equal(payloadPathError("a/b.txt"), undefined);
  assert.match(payloadPathError("/etc/passwd") ?? "", /relative/);
  assert.match(payloadPathError("a/../../x") ?? "", /'\.\.'/);
  assert.match(payloadPathError("..data") ?? "", /start with/);
});

function api(cms: ConfigMap[], secrets: Secret[]): ConfigApi {
  return {
    configMap: async (ns, name) => cms.find((c) => c.metadata?.namespace === ns && c.metadata.name === name),
    secret: async (ns, name) => secrets.find((s) => s.metadata?.namespace === ns && s.metadata.name === name),
  };
}

const cm = ConfigMap.fromPartial({ metadata: emptyMeta({ name: "cfg", namespace: "prod" }), data: { MODE: "fast", "bad name": "x", level: "3" }, binaryData: { bin: Buffer.from([1, 2]) } });
const secret = Secret.fromPartial({ metadata: emptyMeta({ name: "db", namespace: "prod" }), data: { password: Buffer.from("hunter2") }, type: "Opaque" });

test("env: envFrom with prefix, then env (later wins), valueFrom keys, invalid names skipped", async () => {
  const c = Container.fromPartial({
    name: "app",
    envFrom: [{ prefix: "CFG_", configMapRef: { name: "cfg" } }],
    env: [
      { name: "CFG_MODE", value: "overridden" },
      { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
      { name: "LEVEL", valueFrom: { configMapKeyRef: { name: "cfg", key: "level" } } },
      { name: "GONE", valueFrom: { configMapKeyRef: { name: "nope", key: "k", optional: true } } },
    ],
  });
  const r = await resolveEnv(c, new ConfigReader(api([cm], [secret]), "prod"), info());
  assert.deepEqual(r.env.sort(), ["CFG_MODE=overridden", "CFG_bin=\u0001\u0002", "CFG_level=3", "LEVEL=3", "PASSWORD=hunter2"].sort());
  assert.deepEqual(r.invalidNames, ["CFG_bad name"]);
});

test("env: a missing object or key is a CreateContainerConfigError naming it, never a value", async () => {
  const reader = () => new ConfigReader(api([cm], [secret]), "prod");
  const cases: [Container, RegExp][] = [
    [Container.fromPartial({ name: "a", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "nope", key: "k" } } }] }), /^configmap "nope" not found$/],
    [Container.fromPartial({ name: "a", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "k" } } }] }), /^couldn't find key k in ConfigMap prod\/cfg$/],
    [Container.fromPartial({ name: "a", env: [{ name: "X", valueFrom: { secretKeyRef: { name: "db", key: "user" } } }] }), /^couldn't find key user in Secret prod\/db$/],
    [Container.fromPartial({ name: "a", envFrom: [{ secretRef: { name: "other" } }] }), /^secret "other" not found$/],
  ];
  for (const [c, want] of cases) {
    const err = await resolveEnv(c, reader(), info()).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof PodConfigError, `${c.name}: want PodConfigError`);
    assert.equal(err.reason, "CreateContainerConfigError");
    assert.match(err.message, want);
  }
  const optional = Container.fromPartial({ name: "a", envFrom: [{ secretRef: { name: "other", optional: true } }], env: [{ name: "Y", valueFrom: { configMapKeyRef: { name: "cfg", key: "k", optional: true } } }] });
  assert.deepEqual((await resolveEnv(optional, reader(), info())).env, []);
});

test("volumes: all keys or items at their paths, defaultMode and item modes; missing ones named", async () => {
  const root = await mkdtemp(join(tmpdir(), "kubelet-root-"));
  const node = { nodeName: "n1", clusterId: "c", nodeIp: "127.0.0.1", podInfraImage: "mk/pause:1", allowPrivileged: false, rootDir: root };
  const pod = Pod.fromPartial({
    metadata: emptyMeta({ name: "p", namespace: "prod", uid: "uid-1" }),
    spec: {
      volumes: [
        { name: "all", configMap: { name: "cfg" } },
        { name: "some", configMap: { name: "cfg", items: [{ key: "level", path: "deep/level.txt", mode: 0o600 }] } },
        { name: "creds", secret: { secretName: "db", defaultMode: 0o400 } },
        { name: "maybe", secret: { secretName: "absent", optional: true } },
      ],
    },
  });
  const changed = await writeConfigVolumes(pod, node, new ConfigReader(api([cm], [secret]), "prod"), info(pod));
  assert.deepEqual(changed, ["all", "some", "creds", "maybe"]);
  const vol = (kind: string, name: string) => join(root, "pods/uid-1/volumes", `kubernetes.io~${kind}`, name);
  assert.deepEqual((await readdir(vol("configmap", "all"))).filter((n) => !n.startsWith("..")).sort(), ["MODE", "bad name", "bin", "level"]);
  assert.equal(await readFile(join(vol("configmap", "some"), "deep/level.txt"), "utf8"), "3");
  assert.equal((await stat(join(vol("configmap", "some"), "deep/level.txt"))).mode & 0o777, 0o600);
  assert.equal((await stat(join(vol("secret", "creds"), "password"))).mode & 0o777, 0o400);
  assert.deepEqual((await readdir(vol("secret", "maybe"))).filter((n) => !n.startsWith("..")), []);

  const again = await writeConfigVolumes(pod, node, new ConfigReader(api([cm], [secret]), "prod"), info(pod));
  assert.deepEqual(again, [], "unchanged objects: nothing rewritten");

  const missingKey = Pod.fromPartial({ ...pod, spec: { volumes: [{ name: "v", configMap: { name: "cfg", items: [{ key: "nokey", path: "x" }] } }] } });
  await assert.rejects(writeConfigVolumes(missingKey, node, new ConfigReader(api([cm], [secret]), "prod"), info(missingKey)), /volume "v" : configmap references non-existent config key: nokey/);
  const missing = Pod.fromPartial({ ...pod, spec: { volumes: [{ name: "v", secret: { secretName: "absent" } }] } });
  await assert.rejects(writeConfigVolumes(missing, node, new ConfigReader(api([cm], [secret]), "prod"), info(missing)), (e: unknown) => e instanceof PodConfigError && /secret "absent" not found/.test(e.message));
});

test("downward API env: pod fields, labels by key, addresses, resources with divisors", async () => {
  const pod = Pod.fromPartial({
    metadata: emptyMeta({ name: "p", namespace: "prod", uid: "uid-9", labels: { app: "web" }, annotations: { owner: "ops" } }),
    spec: { nodeName: "node-3", serviceAccountName: "builder" },
  });
  const fields = ["metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels['app']", "metadata.annotations['owner']", "metadata.labels['none']", "spec.nodeName", "spec.serviceAccountName", "status.podIP", "status.hostIP"];
  const c = Container.fromPartial({
    name: "app",
    resources: { limits: { cpu: "500m", memory: "64Mi" }, requests: { cpu: "250m" } },
    env: [
      ...fields.map((fieldPath, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { apiVersion: "v1", fieldPath } } })),
      { name: "LCPU", valueFrom: { resourceFieldRef: { resource: "limits.cpu", divisor: "1m" } } },
      { name: "LCPU1", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } },
      { name: "LMEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
      { name: "RCPU", valueFrom: { resourceFieldRef: { resource: "requests.cpu", divisor: "1m" } } },
      { name: "RMEM", valueFrom: { resourceFieldRef: { resource: "requests.memory" } } },
      { name: "OTHER", valueFrom: { resourceFieldRef: { containerName: "side", resource: "limits.memory", divisor: "1Gi" } } },
    ],
  });
  pod.spec?.containers.push(c, Container.fromPartial({ name: "side" }));
  const r = await resolveEnv(c, new ConfigReader(api([], []), "prod"), info(pod));
  assert.deepEqual(r.env, [
    "F0=p",
    "F1=prod",
    "F2=uid-9",
    "F3=web",
    "F4=ops",
    "F5=",
    "F6=node-3",
    "F7=builder",
    "F8=10.244.1.7",
    "F9=192.168.5.2",
    // 500m in units of 1m; in cores rounded up; 64Mi in Mi; the request; memory request unset → the limit
    "LCPU=500",
    "LCPU1=1",
    "LMEM=64",
    "RCPU=250",
    `RMEM=${64 * 1024 * 1024}`,
    // "side" has no limit: the node's allocatable 4Gi
    "OTHER=4",
  ]);
  const early = resolveEnv(Container.fromPartial({ name: "app", env: [{ name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }] }), new ConfigReader(api([], []), "prod"), { ...info(pod), podIP: undefined });
  await assert.rejects(early, (e: unknown) => e instanceof PodConfigError && /status.podIP: the pod has no IP address yet/.test(e.message));
});

test("downwardAPI and projected volumes: labels and annotations files, a changed label rewrites them", async () => {
  const root = await mkdtemp(join(tmpdir(), "kubelet-root-"));
  const node = { nodeName: "n1", clusterId: "c", nodeIp: "127.0.0.1", podInfraImage: "mk/pause:1", allowPrivileged: false, rootDir: root };
  const pod = Pod.fromPartial({
    metadata: emptyMeta({ name: "p", namespace: "prod", uid: "uid-2", labels: { tier: "web", app: "shop" }, annotations: { note: 'say "hi"' } }),
    spec: {
      containers: [{ name: "app", resources: { limits: { memory: "32Mi" } } }],
      volumes: [
        {
          name: "info",
          downwardApi: {
            items: [
              { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
              { path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } },
              { path: "sub/name", fieldRef: { fieldPath: "metadata.name" }, mode: 0o600 },
              { path: "mem", resourceFieldRef: { containerName: "app", resource: "limits.memory", divisor: "1Mi" } },
            ],
          },
        },
        {
          name: "all",
          projected: {
            defaultMode: 0o440,
            sources: [
              { configMap: { name: "cfg", items: [{ key: "level", path: "level" }] } },
              { secret: { name: "db" } },
              { downwardApi: { items: [{ path: "app", fieldRef: { fieldPath: "metadata.labels['app']" } }] } },
            ],
          },
        },
      ],
    },
  });
  const reader = () => new ConfigReader(api([cm], [secret]), "prod");
  assert.deepEqual(await writeConfigVolumes(pod, node, reader(), info(pod)), ["info", "all"]);
  const vol = (kind: string, name: string) => join(root, "pods/uid-2/volumes", `kubernetes.io~${kind}`, name);
  assert.equal(await readFile(join(vol("downward-api", "info"), "labels"), "utf8"), 'app="shop"\ntier="web"');
  assert.equal(await readFile(join(vol("downward-api", "info"), "annotations"), "utf8"), formatMap({ note: 'say "hi"' }));
  assert.equal(await readFile(join(vol("downward-api", "info"), "annotations"), "utf8"), 'note="say \\"hi\\""');
  assert.equal(await readFile(join(vol("downward-api", "info"), "sub/name"), "utf8"), "p");
  assert.equal((await stat(join(vol("downward-api", "info"), "sub/name"))).mode & 0o777, 0o600);
  assert.equal(await readFile(join(vol("downward-api", "info"), "mem"), "utf8"), "32");
  assert.deepEqual((await readdir(vol("projected", "all"))).filter((n) => !n.startsWith("..")).sort(), ["app", "level", "password"]);
  assert.equal(await readFile(join(vol("projected", "all"), "app"), "utf8"), "shop");
  assert.equal((await stat(join(vol("projected", "all"), "password"))).mode & 0o777, 0o440);

  assert.deepEqual(await writeConfigVolumes(pod, node, reader(), info(pod)), [], "nothing changed: nothing written");
  pod.metadata!.labels.tier = "api";
  assert.deepEqual(await writeConfigVolumes(pod, node, reader(), info(pod)), ["info"]);
  assert.equal(await readFile(join(vol("downward-api", "info"), "labels"), "utf8"), 'app="shop"\ntier="api"');
});
