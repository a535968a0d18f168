// ConfigMaps and Secrets end to end through the mkctl binary, on a local cluster with real Docker:
// a ConfigMap as env and as a volume (the file follows a change made with mkctl, the env does not), a
// Secret as env and as a 0400 volume, a pod waiting with CreateContainerConfigError for a missing
// ConfigMap until mkctl creates it, and the Secret's value in none of the components' log files nor
// in mkctl's describe and events output. The reader also reads the downward API (its name, namespace,
// IP and node); the cluster's node authorizer lets its kubelet read only what its pods refer to.
import assert from "node:assert/strict";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before } from "node:test";
import { eventually, LocalCluster, steps } from "./cluster.js";

const step = steps(300_000);
let cluster: LocalCluster;
const secretValue = `e2e-${process.pid}-${Math.random().toString(36).slice(2)}-hidden`;

before(async () => {
  cluster = await LocalCluster.create({ name: "cfg", nodes: 1 });
});

after(async () => {
  // Graceful: each kubelet removes its pod's directory (configMap and secret volumes) as it finishes.
  await cluster.mkctl(["delete", "pod", "--all", "--timeout=60s"]);
  await cluster.stop();
  // Whatever a kubelet left (the kubelet's default --root-dir is per cluster address and node).
  const apiPort = cluster.upArgs[cluster.upArgs.indexOf("--api-port") + 1];
  await rm(`/var/lib/mk/kubelet/127.0.0.1_${apiPort}`, { recursive: true, force: true });
});

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: reader
spec:
  containers:
  - name: app
    image: mk/busybox:1
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "sleep 3600"]
    env:
    - name: COLOR
      valueFrom:
        configMapKeyRef: {name: settings, key: color}
    - name: TOKEN
      valueFrom:
        secretKeyRef: {name: creds, key: token}
    - name: MY_POD
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: MY_NS
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    - name: MY_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: MY_NODE
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    envFrom:
    - prefix: CFG_
      configMapRef: {name: settings}
    volumeMounts:
    - {name: cfg, mountPath: /etc/cfg}
    - {name: creds, mountPath: /var/run/creds, readOnly: true}
  volumes:
  - name: cfg
    configMap: {name: settings}
  - name: creds
    secret: {secretName: creds, defaultMode: 0400}
`;

const WAITER = `apiVersion: v1
kind: Pod
metadata:
  name: waiter
spec:
  containers:
  - name: app
    image: mk/busybox:1
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo late=$LATE; sleep 3600"]
    env:
    - name: LATE
      valueFrom:
        configMapKeyRef: {name: late, key: k}
`;

const exec = (pod: string, script: string) => cluster.ok(["exec", pod, "--", "sh", "-c", script]);

async function status(pod: string): Promise<string> {
  const r = await cluster.mkctl(["get", "pod", pod, "--no-headers"]);
  return r.stdout.split(/\s+/)[2] ?? "";
}

step("cluster up", async () => {
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
});

step("a ConfigMap and a Secret as env and volumes; a change reaches the file, not the env", async () => {
  await cluster.ok(["create", "configmap", "settings", "--from-literal=color=blue"]);
  await cluster.ok(["create", "secret", "generic", "creds", `--from-literal=token=${secretValue}`]);
  await cluster.ok(["apply", "-f", "-"], { stdin: POD });
  await eventually("reader Running", async () => ((await status("reader")) === "Running" ? true : undefined), 120_000, { everyMs: 500 });
  assert.equal(await exec("reader", 'echo "$COLOR $CFG_color"; cat /etc/cfg/color; echo'), "blue blue\nblue\n");
  assert.equal(await exec("reader", 'test "$TOKEN" = "$(cat /var/run/creds/token)" && stat -L -c %a /var/run/creds/token'), "400\n");
  const reader = JSON.parse(await cluster.ok(["get", "pod", "reader", "-o", "json"])) as { spec: { nodeName: string }; status: { podIP: string } };
  assert.match(reader.status.podIP, /^10\.\d+\.\d+\.\d+$/);
  assert.equal(await exec("reader", 'echo "$MY_POD $MY_NS $MY_IP $MY_NODE"'), `reader default ${reader.status.podIP} ${reader.spec.nodeName}\n`);

  const yaml = await cluster.ok(["create", "configmap", "settings", "--from-literal=color=green", "--dry-run=client", "-o", "yaml"]);
  await cluster.ok(["apply", "-f", "-"], { stdin: yaml });
  const t0 = Date.now();
  await eventually("the file changed in the running pod", async () => ((await exec("reader", "cat /etc/cfg/color")) === "green" ? true : undefined), 120_000, { everyMs: 500 });
  process.stdout.write(`# configmap change reached the pod's file in ${((Date.now() - t0) / 1000).toFixed(1)} s (resync 10 s)\n`);
  assert.equal(await exec("reader", 'echo "$COLOR $CFG_color"'), "blue blue\n", "env keeps the value the container started with");
});

step("a pod referring to a missing ConfigMap waits with CreateContainerConfigError, then runs", async () => {
  await cluster.ok(["apply", "-f", "-"], { stdin: WAITER });
  await eventually("CreateContainerConfigError", async () => ((await status("waiter")) === "CreateContainerConfigError" ? true : undefined), 120_000, { everyMs: 500 });
  const described = await cluster.ok(["describe", "pod", "waiter"]);
  assert.match(described, /configmap "late" not found/);
  await cluster.ok(["create", "configmap", "late", "--from-literal=k=arrived"]);
  await eventually("waiter Running", async () => ((await status("waiter")) === "Running" ? true : undefined), 120_000, { everyMs: 500 });
  assert.match(await cluster.ok(["logs", "waiter"]), /late=arrived/);
});

step("the Secret's value is in no component log, describe output or event", async () => {
  const outputs = await Promise.all([cluster.ok(["describe", "pod", "reader"]), cluster.ok(["describe", "secret", "creds"]), cluster.ok(["get", "events"])]);
  assert.match(outputs[1] ?? "", new RegExp(`token:\\s+${secretValue.length} bytes`));
  const files = (await readdir(cluster.logs)).filter((f) => f.endsWith(".log"));
  assert.ok(files.length >= 4, `component logs: ${files.join(", ")}`);
  const logs = await Promise.all(files.map((f) => readFile(join(cluster.logs, f), "utf8")));
  for (const [where, text] of [...files.map((f, i) => [f, logs[i] ?? ""] as const), ["mkctl output", outputs.join("\n")] as const]) {
    assert.ok(!text.includes(secretValue), `the secret's value appears in ${where}`);
  }
});
