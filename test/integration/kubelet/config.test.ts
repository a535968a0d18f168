// ConfigMaps and Secrets in pods, with a real kubelet on Docker against an in-process API server:
// env (valueFrom, envFrom) and configMap/secret volumes; a changed ConfigMap reaches the running
// pod's files (atomically: a reader of two keys never sees a mix) but not its env; a pod referring to
// a missing ConfigMap waits with CreateContainerConfigError naming it and runs once it exists; and a
// Secret's value appears in no log line (API server and kubelet at trace level), event, describe
// output or error, even with a failing reference forced.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfigMap, Container, emptyMeta, type Pod, Secret } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { Kubelet } from "@mk/kubelet/kubelet.js";
import { DockerRuntime } from "@mk/kubelet/runtime/docker.js";
import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from "@mk/kubelet/runtime/names.js";
import { pino } from "pino";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { docker } from "../../harness/docker.js";
import { mkctlFor, tempDir } from "../kubectl/mkctl.js";
import { eventually } from "../../harness/wait.js";
import { BUSYBOX, cleanupNode, makePod, testKubeletOptions, uniqueNode } from "./fixtures.js";

const nodeName = uniqueNode("cfg");
/** Every log line of the API server and the kubelet, both at trace level. */
const logLines: string[] = [];
const sink = () =>
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString("utf8"));
      done();
    },
  });
let api: TestApiServer;
let cs: Clientset;
let kubelet: Kubelet;
let rootDir: string;
let mkctl: ReturnType<typeof mkctlFor>;

before(async () => {
  api = await startTestApiServer({ logger: pino({ level: "trace" }, sink()) });
  cs = connect({ server: api.address });
  rootDir = await mkdtemp(join(tmpdir(), "mk-kubelet-root-"));
  kubelet = new Kubelet(
    cs,
    new DockerRuntime(),
    testKubeletOptions(nodeName, api.address, { rootDir }),
    pino({ level: "trace" }, sink()),
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

async function createPod(pod: Pod): Promise<Pod> {
  pod.metadata = emptyMeta({ name: pod.metadata?.name ?? "", namespace: "default" });
  const created = await cs.pods.create(pod);
  await cs.bind("default", created.metadata?.name ?? "", nodeName);
  return created;
}

async function waitRunning(name: string): Promise<Pod> {
  return await eventually(
    `${name} running`,
    async () => {
      const p = await cs.pods.get(name, "default");
      return p.status?.phase === "Running" && p.status.containerStatuses.every((s) => s.state?.running) ? p : undefined;
    },
    90_000,
    { everyMs: 250 },
  );
}

/** The id of the pod's app container `container`. */
async function containerId(pod: Pod, container = "app"): Promise<string> {
  const out = await docker(["ps", "-q", "--filter", `label=${LABEL_POD_UID}=${pod.metadata?.uid}`, "--filter", `label=${LABEL_CONTAINER_NAME}=${container}`]);
  const id = out.split("\n")[0];
  assert.ok(id, `no running container ${container} for pod ${pod.metadata?.name}`);
  return id;
}

/** The app container's name and image (busybox). */
const APP = { name: "app", image: BUSYBOX, imagePullPolicy: "IfNotPresent" };

const execIn = (id: string, script: string) => docker(["exec", id, "sh", "-c", script]);

const configMap = (name: string, data: Record<string, string>) => ConfigMap.fromPartial({ metadata: emptyMeta({ name, namespace: "default" }), data });

async function updateConfigMap(name: string, data: Record<string, string>): Promise<void> {
  const cur = await cs.resource("ConfigMap").get(name, "default");
  await cs.resource("ConfigMap").update(ConfigMap.fromPartial({ ...cur, data }));
}

test("a ConfigMap as env and as a volume: the file follows a change, the env does not", async () => {
  await cs.resource("ConfigMap").create(configMap("settings", { color: "blue", size: "L" }));
  const pod = await createPod(
    makePod("cm-env-vol", {
      containers: [
        Container.fromPartial({
          ...APP,
          command: ["sh", "-c", "sleep 3600"],
          env: [{ name: "COLOR", value: "", valueFrom: { configMapKeyRef: { name: "settings", key: "color" } } }],
          envFrom: [{ prefix: "CFG_", configMapRef: { name: "settings" } }],
          volumeMounts: [{ name: "cfg", mountPath: "/etc/cfg", readOnly: false, subPath: "" }],
        }),
      ],
      volumes: [{ name: "cfg", configMap: { name: "settings", items: [] } }],
    }),
  );
  await waitRunning("cm-env-vol");
  const id = await containerId(pod);
  assert.equal(await execIn(id, 'echo "$COLOR $CFG_color $CFG_size"'), "blue blue L");
  assert.equal(await execIn(id, "cat /etc/cfg/color"), "blue");
  assert.match(await execIn(id, "touch /etc/cfg/x 2>&1; echo rc=$?"), /Read-only file system[\s\S]*rc=1/);

  const changedAt = Date.now();
  await updateConfigMap("settings", { color: "green", size: "L" });
  await eventually("the file in the running pod changed", async () => ((await execIn(id, "cat /etc/cfg/color")) === "green" ? true : undefined), 120_000, { everyMs: 250 });
  const seconds = (Date.now() - changedAt) / 1000;
  assert.equal(await execIn(id, 'echo "$COLOR $CFG_color"'), "blue blue", "env does not change (as in Kubernetes)");
  assert.equal(await containerId(pod), id, "the container was not restarted");
  process.stdout.write(`# configmap change reached the volume in ${seconds.toFixed(1)} s (resync 2 s)\n`);
});

test("a reader of two keys in a loop never sees one old and one new during 20 changes", async () => {
  await cs.resource("ConfigMap").create(configMap("pair", { a: "0", b: "0" }));
  // Resolves ..data once per read (cd -P), as a reader wanting a consistent set does; a read whose
  // version was removed meanwhile yields nothing and is skipped.
  const loop = [
    "last=",
    "while true; do",
    "  if cd -P /etc/pair/..data 2>/dev/null; then a=$(cat a 2>/dev/null); b=$(cat b 2>/dev/null); cd /; else continue; fi",
    '  [ -n "$a" ] && [ -n "$b" ] || continue',
    '  if [ "$a" != "$b" ]; then echo "MIX $a $b"; fi',
    '  if [ "$a" != "$last" ]; then echo "SEEN $a"; last=$a; fi',
    "done",
  ].join("\n");
  const pod = await createPod(
    makePod("pair-reader", {
      containers: [
        Container.fromPartial({
          ...APP,
          command: ["sh", "-c", loop],
          volumeMounts: [{ name: "pair", mountPath: "/etc/pair", readOnly: true, subPath: "" }],
        }),
      ],
      volumes: [{ name: "pair", configMap: { name: "pair", items: [] } }],
    }),
  );
  await waitRunning("pair-reader");
  const id = await containerId(pod);
  for (let i = 1; i <= 20; i++) {
    await updateConfigMap("pair", { a: String(i), b: String(i) });
    await eventually(`change ${i} seen in the pod`, async () => ((await execIn(id, "cat /etc/pair/a")) === String(i) ? true : undefined), 120_000, { everyMs: 200 });
  }
  await sleep(500);
  const out = await docker(["logs", id]);
  const lines = out.split("\n");
  assert.deepEqual(
    lines.filter((l) => l.startsWith("MIX")),
    [],
  );
  const seen = new Set(lines.filter((l) => l.startsWith("SEEN")).map((l) => l.slice(5)));
  assert.ok(seen.has("20") && seen.size >= 15, `the reader saw most versions: ${[...seen].join(",")}`);
});

test("a pod referring to a missing ConfigMap waits with CreateContainerConfigError naming it, and runs once it exists", async () => {
  await createPod(
    makePod("waits-for-cm", {
      containers: [
        Container.fromPartial({
          ...APP,
          command: ["sh", "-c", "echo $LATE; sleep 3600"],
          env: [{ name: "LATE", value: "", valueFrom: { configMapKeyRef: { name: "late-config", key: "k" } } }],
        }),
      ],
    }),
  );
  const waiting = await eventually(
    "CreateContainerConfigError",
    async () => {
      const w = (await cs.pods.get("waits-for-cm", "default")).status?.containerStatuses[0]?.state?.waiting;
      return w?.reason === "CreateContainerConfigError" ? w : undefined;
    },
    90_000,
    { everyMs: 250 },
  );
  assert.match(waiting.message, /configmap "late-config" not found/);
  await cs.resource("ConfigMap").create(configMap("late-config", { k: "here" }));
  const pod = await waitRunning("waits-for-cm");
  assert.match(await docker(["logs", await containerId(pod)]), /^here$/m);
});

test("a Secret as env and as a 0400 volume; its value is in no log line, event, describe output or error", async () => {
  const value = `v4lue-${Math.random().toString(36).slice(2)}-never-shown`;
  await cs.resource("Secret").create(Secret.fromPartial({ metadata: emptyMeta({ name: "creds", namespace: "default" }), data: { token: Buffer.from(value) } }));
  const pod = await createPod(
    makePod("secret-user", {
      containers: [
        Container.fromPartial({
          ...APP,
          command: ["sh", "-c", "sleep 3600"],
          env: [{ name: "TOKEN", value: "", valueFrom: { secretKeyRef: { name: "creds", key: "token" } } }],
          volumeMounts: [{ name: "creds", mountPath: "/var/run/creds", readOnly: true, subPath: "" }],
        }),
      ],
      volumes: [{ name: "creds", secret: { secretName: "creds", items: [], defaultMode: 0o400 } }],
    }),
  );
  await waitRunning("secret-user");
  const id = await containerId(pod);
  assert.equal(await execIn(id, 'printf %s "$TOKEN"'), value);
  assert.equal(await execIn(id, "cat /var/run/creds/token"), value);
  assert.equal(await execIn(id, "stat -L -c %a /var/run/creds/token"), "400");

  // Failing references: a missing key of the Secret (env) and a missing item (volume); and a Secret
  // change with a bad type (refused by the API server) while the pod runs.
  await createPod(
    makePod("secret-broken", {
      containers: [
        Container.fromPartial({
          ...APP,
          command: ["sh", "-c", "sleep 3600"],
          env: [{ name: "TOKEN", value: "", valueFrom: { secretKeyRef: { name: "creds", key: "nope" } } }],
        }),
      ],
    }),
  );
  await createPod(
    makePod("secret-broken-vol", {
      containers: [Container.fromPartial({ ...APP, command: ["sh", "-c", "sleep 3600"], volumeMounts: [{ name: "c", mountPath: "/c", readOnly: true, subPath: "" }] })],
      volumes: [{ name: "c", secret: { secretName: "creds", items: [{ key: "missing", path: "m" }] } }],
    }),
  );
  for (const name of ["secret-broken", "secret-broken-vol"]) {
    await eventually(
      `${name} waits`,
      async () => ((await cs.pods.get(name, "default")).status?.containerStatuses[0]?.state?.waiting?.reason === "CreateContainerConfigError" ? true : undefined),
      90_000,
      { everyMs: 250 },
    );
  }
  const cur = await cs.resource("Secret").get("creds", "default");
  const refused = await cs
    .resource("Secret")
    .update(Secret.fromPartial({ ...cur, type: "kubernetes.io/tls" }))
    .then(
      () => "accepted",
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
  assert.match(refused, /type/);
  await sleep(3_000); // a few more syncs, at trace level

  const events = (await cs.events.list({ namespace: "default" })).items;
  assert.ok(events.some((e) => /couldn't find key nope in Secret default\/creds/.test(e.message)), "the failing reference was reported");
  const describes = await Promise.all(
    [
      ["describe", "pod", "secret-user"],
      ["describe", "pod", "secret-broken"],
      ["describe", "pod", "secret-broken-vol"],
      ["describe", "secret", "creds"],
      ["get", "events"],
    ].map((args) => mkctl(args)),
  );
  const podStatuses = await Promise.all(["secret-user", "secret-broken", "secret-broken-vol"].map((n) => cs.pods.get(n, "default")));
  // The logs hold the error paths of the failing references (the volume's is logged by the kubelet).
  const logs = logLines.join("");
  assert.match(logs, /"msg":"kubelet started"/);
  assert.match(logs, /references non-existent secret key: missing[^\n]*"msg":"pod sandbox not created"/);
  const places: [string, string][] = [
    ["log", logs],
    ["events", JSON.stringify(events)],
    ["describe/get", describes.map((r) => r.stdout + r.stderr).join("\n")],
    ["pod status", JSON.stringify(podStatuses.map((p) => p.status))],
    ["error", refused],
  ];
  for (const [where, text] of places) {
    assert.ok(!text.includes(value), `the secret's value appears in: ${where}`);
    assert.ok(!text.includes(Buffer.from(value).toString("base64")), `the secret's value (base64) appears in: ${where}`);
  }
});
