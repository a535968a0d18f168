// mkctl logs -l SELECTOR (every matching pod, the last 10 lines of each by default), --prefix,
// --all-containers, the default container's notice, and logs deploy/NAME (one of its pods), against
// a real API server and a real kubelet on Docker.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Container, Deployment } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { type Clientset, connect } from "@mk/proto/client";
import { Kubelet } from "@mk/kubelet/kubelet.js";
import { DockerRuntime } from "@mk/kubelet/runtime/docker.js";
import { pino } from "pino";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { eventually } from "../../harness/wait.js";
import { mkctlFor, type Run } from "../kubectl/mkctl.js";
import { BUSYBOX, cleanupNode, makePod, PAUSE, uniqueNode } from "./fixtures.js";

const nodeName = uniqueNode("logs");
let api: TestApiServer;
let cs: Clientset;
let kubelet: Kubelet;
let mkctl: (args: string[]) => Promise<Run>;

const sh = (name: string, script: string) => Container.fromPartial({ name, image: BUSYBOX, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", script] });

async function runPod(name: string, labels: Record<string, string>, spec: Parameters<typeof makePod>[1]): Promise<void> {
  const pod = makePod(name, spec);
  if (pod.metadata) pod.metadata.labels = labels;
  await cs.pods.create(pod);
  await cs.bind("default", name, nodeName);
}

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address });
  kubelet = new Kubelet(
    cs,
    new DockerRuntime(),
    { nodeName, clusterId: api.address, nodeIp: "127.0.0.1", port: 0, healthzPort: -1, podInfraImage: PAUSE, allowPrivileged: false, leaseRenewMs: 2_000, labels: {}, taints: [], resyncMs: 2_000 },
    pino({ level: process.env.MK_TEST_LOG ?? "silent" }),
  );
  await kubelet.start();
  mkctl = mkctlFor(api.address);
  await runPod("lg-a", { app: "lg" }, { containers: [sh("main", "echo a1; echo a2; sleep 3600")] });
  await runPod("lg-b", { app: "lg" }, { containers: [sh("main", "for i in $(seq 1 12); do echo b$i; done; sleep 3600")] });
  await runPod("two", { app: "two" }, {
    initContainers: [sh("setup", "echo init-done")],
    containers: [sh("first", "echo one; sleep 3600"), sh("second", "echo two; sleep 3600")],
  });
  // No deployment controller runs here: the Deployment only lends its selector, as kubectl reads it.
  await cs.deployments.create(
    Deployment.fromPartial({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: emptyMeta({ name: "lg", namespace: "default" }),
      spec: { replicas: 2, selector: { matchLabels: { app: "lg" } }, template: { metadata: emptyMeta({ labels: { app: "lg" } }), spec: { containers: [sh("main", "true")] } } },
    }),
  );
  for (const name of ["lg-a", "lg-b", "two"]) {
    await eventually(`${name} running`, async () => (await cs.pods.get(name, "default")).status?.phase === "Running", 60_000);
  }
});

after(async () => {
  await kubelet?.stop();
  await cleanupNode(nodeName);
  cs?.close();
  await api?.stop();
});

const bLines = (from: number) => Array.from({ length: 12 - from + 1 }, (_, i) => `b${from + i}\n`).join("");

test("logs -l prints every matching pod's lines, the last 10 of each unless --tail says; --prefix names pod and container", async () => {
  const all = await eventually("both pods' lines", async (why) => {
    const r = await mkctl(["logs", "-l", "app=lg"]);
    return r.stdout.includes("b12") && r.stdout.includes("a2") ? r : why(JSON.stringify(r));
  }, 30_000);
  assert.deepEqual(all, { code: 0, stdout: `a1\na2\n${bLines(3)}`, stderr: "" });
  assert.deepEqual(await mkctl(["logs", "-l", "app=lg", "--tail=-1"]), { code: 0, stdout: `a1\na2\n${bLines(1)}`, stderr: "" });
  assert.deepEqual(await mkctl(["logs", "-l", "app=lg", "--prefix", "--tail", "1"]), {
    code: 0,
    stdout: "[pod/lg-a/main] a2\n[pod/lg-b/main] b12\n",
    stderr: "",
  });
  assert.deepEqual(await mkctl(["logs", "-l", "app=nothing"]), { code: 0, stdout: "", stderr: "No resources found in default namespace.\n" });
  assert.deepEqual(await mkctl(["logs", "lg-a", "-l", "app=lg"]), { code: 1, stdout: "", stderr: "error: only a selector (-l) or a POD name is allowed\n" });
});

test("--all-containers prints the init container's and every container's log; without it, the default container, said on stderr", async () => {
  const all = await eventually("every container's line", async (why) => {
    const r = await mkctl(["logs", "two", "--all-containers", "--prefix"]);
    return r.stdout.split("\n").length > 3 ? r : why(JSON.stringify(r));
  }, 30_000);
  assert.deepEqual(all, { code: 0, stdout: "[pod/two/setup] init-done\n[pod/two/first] one\n[pod/two/second] two\n", stderr: "" });
  assert.deepEqual(await mkctl(["logs", "two"]), { code: 0, stdout: "one\n", stderr: 'Defaulted container "first" out of: first, second, setup (init)\n' });
  assert.deepEqual(await mkctl(["logs", "two", "second"]), { code: 0, stdout: "two\n", stderr: "" });
  assert.deepEqual(await mkctl(["logs", "pod/two", "-c", "nope"]), { code: 1, stdout: "", stderr: "Error from server (BadRequest): container nope is not valid for pod two\n" });
});

test("logs deploy/NAME reads one of the deployment's pods, saying which", async () => {
  const r = await mkctl(["logs", "deploy/lg"]);
  assert.equal(r.code, 0, r.stderr);
  const chosen = /^Found 2 pods, using pod\/(lg-[ab])\n$/.exec(r.stderr)?.[1];
  assert.ok(chosen, r.stderr);
  assert.equal(r.stdout, chosen === "lg-a" ? "a1\na2\n" : bLines(1));
  assert.deepEqual(await mkctl(["logs", "deployment/none"]), { code: 1, stdout: "", stderr: 'Error from server (NotFound): deployments.apps "none" not found\n' });
});
