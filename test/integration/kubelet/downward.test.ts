// The downward API with a real kubelet on Docker against an in-process API server: env from the pod's
// fields (name, namespace, uid, IP, node, a label) and its resources; a downwardAPI volume whose
// labels file follows a label change in the running pod; a projected volume of a ConfigMap, a Secret
// and pod fields in one directory; and bad fieldRef paths and divisors refused naming the field
// (through mkctl apply, Kubernetes' YAML), nothing written.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ConfigMap, Container, emptyMeta, type Pod, Secret } from "@mk/proto";
import { type Clientset, connect, isNotFound } from "@mk/proto/client";
import { Kubelet } from "@mk/kubelet/kubelet.js";
import { DockerRuntime } from "@mk/kubelet/runtime/docker.js";
import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from "@mk/kubelet/runtime/names.js";
import { pino } from "pino";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { docker } from "../../harness/docker.js";
import { mkctlFor, tempDir, writeTemp } from "../kubectl/mkctl.js";
import { eventually } from "../../harness/wait.js";
import { BUSYBOX, cleanupNode, makePod, testKubeletOptions, uniqueNode } from "./fixtures.js";

const nodeName = uniqueNode("dapi");
let api: TestApiServer;
let cs: Clientset;
let kubelet: Kubelet;
let rootDir: string;
let mkctl: ReturnType<typeof mkctlFor>;
const dir = tempDir("mkctl-downward-");

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address });
  rootDir = await mkdtemp(join(tmpdir(), "mk-kubelet-root-"));
  kubelet = new Kubelet(
    cs,
    new DockerRuntime(),
    testKubeletOptions(nodeName, api.address, { rootDir, capacity: { cpu: "3", memory: "2Gi" } }),
    pino({ level: "warn" }),
  );
  await kubelet.start();
  mkctl = mkctlFor(api.address, tempDir());
});

after(async () => {
  await kubelet?.stop();
  await cleanupNode(nodeName);
  cs?.close();
  await api?.stop();
  await rm(rootDir, { recursive: true, force: true });
});

async function createPod(pod: Pod, labels: Record<string, string> = {}): Promise<Pod> {
  pod.metadata = emptyMeta({ name: pod.metadata?.name ?? "", namespace: "default", labels });
  const created = await cs.pods.create(pod);
  await cs.bind("default", created.metadata?.name ?? "", nodeName);
  return created;
}

async function waitRunning(name: string): Promise<Pod> {
  return await eventually(
    `${name} running`,
    async () => {
      const p = await cs.pods.get(name, "default");
      return p.status?.phase === "Running" && p.status.podIp && p.status.containerStatuses.every((s) => s.state?.running) ? p : undefined;
    },
    90_000,
    { everyMs: 250 },
  );
}

async function containerId(pod: Pod, container = "app"): Promise<string> {
  const out = await docker(["ps", "-q", "--filter", `label=${LABEL_POD_UID}=${pod.metadata?.uid}`, "--filter", `label=${LABEL_CONTAINER_NAME}=${container}`]);
  const id = out.split("\n")[0];
  assert.ok(id, `no running container ${container} for pod ${pod.metadata?.name}`);
  return id;
}

const APP = { name: "app", image: BUSYBOX, imagePullPolicy: "IfNotPresent" };
const execIn = (id: string, script: string) => docker(["exec", id, "sh", "-c", script]);
const field = (name: string, fieldPath: string) => ({ name, value: "", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath } } });

test("env shows the pod's name, namespace, uid, IP, node, a label and its resources", async () => {
  const pod = await createPod(
    makePod("whoami", {
      containers: [
        Container.fromPartial({
          ...APP,
          command: ["sh", "-c", "sleep 3600"],
          resources: { limits: { memory: "64Mi" }, requests: {} },
          env: [
            field("MY_NAME", "metadata.name"),
            field("MY_NS", "metadata.namespace"),
            field("MY_UID", "metadata.uid"),
            field("MY_IP", "status.podIP"),
            field("MY_HOST_IP", "status.hostIP"),
            field("MY_NODE", "spec.nodeName"),
            field("MY_TIER", "metadata.labels['tier']"),
            { name: "MEM_MI", value: "", valueFrom: { resourceFieldRef: { containerName: "", resource: "limits.memory", divisor: "1Mi" } } },
            { name: "CPU_M", value: "", valueFrom: { resourceFieldRef: { containerName: "", resource: "limits.cpu", divisor: "1m" } } },
          ],
        }),
      ],
    }),
    { tier: "backend" },
  );
  const running = await waitRunning("whoami");
  const id = await containerId(pod);
  const env = await execIn(id, 'echo "$MY_NAME|$MY_NS|$MY_UID|$MY_IP|$MY_HOST_IP|$MY_NODE|$MY_TIER|$MEM_MI|$CPU_M"');
  // No cpu limit: the node's allocatable (--cpu 3) in millicores.
  assert.equal(env, ["whoami", "default", pod.metadata?.uid, running.status?.podIp, "127.0.0.1", nodeName, "backend", "64", "3000"].join("|"));
  assert.match(running.status?.podIp ?? "", /^\d+\.\d+\.\d+\.\d+$/);
});

test("a downwardAPI volume: a label change reaches the labels file of the running pod", async () => {
  const pod = await createPod(
    makePod("labelled", {
      containers: [Container.fromPartial({ ...APP, command: ["sh", "-c", "sleep 3600"], volumeMounts: [{ name: "podinfo", mountPath: "/etc/podinfo", readOnly: true, subPath: "" }] })],
      volumes: [
        {
          name: "podinfo",
          downwardApi: {
            items: [
              { path: "labels", fieldRef: { apiVersion: "v1", fieldPath: "metadata.labels" } },
              { path: "annotations", fieldRef: { apiVersion: "v1", fieldPath: "metadata.annotations" } },
              { path: "name", fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } },
            ],
          },
        },
      ],
    }),
    { app: "shop", track: "stable" },
  );
  await waitRunning("labelled");
  const id = await containerId(pod);
  assert.equal(await execIn(id, "cat /etc/podinfo/labels"), 'app="shop"\ntrack="stable"');
  assert.equal(await execIn(id, "cat /etc/podinfo/name"), "labelled");

  const cur = await cs.pods.get("labelled", "default");
  if (!cur.metadata) throw new Error("pod without metadata");
  cur.metadata.labels = { app: "shop", track: "canary" };
  cur.metadata.annotations = { "example.com/owner": "team-a" };
  await cs.pods.update(cur);
  await eventually(
    "the labels file changed",
    async () => ((await execIn(id, "cat /etc/podinfo/labels")) === 'app="shop"\ntrack="canary"' ? true : undefined),
    120_000,
    { everyMs: 250 },
  );
  assert.equal(await execIn(id, "cat /etc/podinfo/annotations"), 'example.com/owner="team-a"');
  assert.equal(await containerId(pod), id, "the container was not restarted");
});

test("a projected volume: a ConfigMap's key, a Secret and the pod's name in one directory", async () => {
  await cs.resource("ConfigMap").create(ConfigMap.fromPartial({ metadata: emptyMeta({ name: "proj-cm", namespace: "default" }), data: { color: "blue", size: "L" } }));
  await cs.resource("Secret").create(Secret.fromPartial({ metadata: emptyMeta({ name: "proj-secret", namespace: "default" }), data: { token: Buffer.from("t0k") } }));
  const pod = await createPod(
    makePod("projected", {
      containers: [Container.fromPartial({ ...APP, command: ["sh", "-c", "sleep 3600"], volumeMounts: [{ name: "all", mountPath: "/projected", readOnly: true, subPath: "" }] })],
      volumes: [
        {
          name: "all",
          projected: {
            defaultMode: 0o440,
            sources: [
              { configMap: { name: "proj-cm", items: [{ key: "color", path: "config/color" }] } },
              { secret: { name: "proj-secret", items: [] } },
              { downwardApi: { items: [{ path: "podname", fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } }] } },
            ],
          },
        },
      ],
    }),
  );
  await waitRunning("projected");
  const id = await containerId(pod);
  assert.equal(await execIn(id, "ls /projected"), "config\npodname\ntoken");
  assert.equal(await execIn(id, "cat /projected/config/color /projected/token /projected/podname"), "bluet0kprojected");
  assert.equal(await execIn(id, "stat -L -c %a /projected/token"), "440");

  const cm = await cs.resource("ConfigMap").get("proj-cm", "default");
  await cs.resource("ConfigMap").update(ConfigMap.fromPartial({ ...cm, data: { color: "green", size: "L" } }));
  await eventually("the projected key changed", async () => ((await execIn(id, "cat /projected/config/color")) === "green" ? true : undefined), 120_000, { everyMs: 250 });
});

test("a fieldRef to an unsupported path, a bad divisor and a label path in env are refused naming the field", async () => {
  const yaml = `apiVersion: v1
kind: Pod
metadata:
  name: bad-downward
spec:
  containers:
  - name: app
    image: ${BUSYBOX}
    env:
    - name: X
      valueFrom:
        fieldRef:
          fieldPath: spec.containers
    - name: LABELS
      valueFrom:
        fieldRef:
          fieldPath: metadata.labels
    - name: MEM
      valueFrom:
        resourceFieldRef:
          resource: limits.memory
          divisor: 3
  volumes:
  - name: info
    downwardAPI:
      items:
      - path: ip
        fieldRef:
          fieldPath: status.podIP
`;
  const res = await mkctl(["apply", "-f", writeTemp(dir, "bad-downward.yaml", yaml)]);
  assert.equal(res.code, 1, res.stdout + res.stderr);
  for (const f of [
    'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.containers"',
    'spec.containers[0].env[1].valueFrom.fieldRef.fieldPath: Unsupported value: "metadata.labels"',
    'spec.containers[0].env[2].valueFrom.resourceFieldRef.divisor: Invalid value: "3"',
    'spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: Unsupported value: "status.podIP"',
  ]) {
    assert.ok(res.stderr.includes(f), `stderr names ${f}:\n${res.stderr}`);
  }
  const absent = await cs.pods.get("bad-downward", "default").then(
    () => false,
    (e: unknown) => isNotFound(e),
  );
  assert.ok(absent, "nothing was written");

  const good = yaml.replace("spec.containers", "metadata.uid").replace("fieldPath: metadata.labels\n", "fieldPath: metadata.labels['app']\n").replace("divisor: 3", "divisor: 1Mi").replace("status.podIP", "metadata.labels");
  const ok = await mkctl(["apply", "-f", writeTemp(dir, "good-downward.yaml", good)]);
  assert.equal(ok.code, 0, ok.stderr);
  const stored = await cs.pods.get("bad-downward", "default");
  assert.equal(stored.spec?.containers[0]?.env[0]?.valueFrom?.fieldRef?.apiVersion, "v1", "apiVersion defaulted");
  await cs.pods.delete("bad-downward", "default");
});
