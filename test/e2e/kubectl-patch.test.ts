// Kubernetes' kubectl 1.32 changing objects on `mkctl cluster up`, with nothing but KUBECONFIG and a
// fresh --cache-dir: create deployment (a protobuf body), apply (three-way strategic merge patch),
// scale (the Scale subresource), set image on one container of two, rollout status, history, undo,
// pause, resume and restart, label, annotate, patch with each type, edit with an EDITOR script,
// logs -f (the log subresource, chunked), cordon, drain (evictions, counted by the API server) and
// uncordon. mkctl does the same to a twin object where both print something, and prints the same.
// It fails, never skips, when kubectl 1.32 is missing.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before } from "node:test";
import { promisify } from "node:util";
import { eventually, LocalCluster, steps } from "./cluster.js";

const run = promisify(execFile);
const step = steps(300_000);

async function kubectl132(): Promise<string> {
  const onPath = (await run("bash", ["-c", "command -v kubectl"])).stdout.trim();
  assert.ok(onPath, "kubectl is not on the PATH");
  const binary = join(dirname(realpathSync(onPath)), "kubectl.1.32");
  assert.ok(existsSync(binary), `kubectl 1.32 is missing: ${binary}`);
  return binary;
}

let cluster: LocalCluster;
let work: string;
let binary: string;

function kubectlEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", HOME: work, KUBECONFIG: cluster.env.MK_CONFIG ?? "", ...extra };
}

/** Runs kubectl 1.32; fails the test with its output unless it exits 0; returns stdout. */
async function kubectl(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const out = await run(binary, [...args, "--cache-dir", join(work, "cache"), "--request-timeout", "60s"], { env: kubectlEnv(extraEnv), timeout: 240_000 });
    return out.stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    assert.fail(`kubectl ${args.join(" ")} failed\nstdout: ${e.stdout}\nstderr: ${e.stderr}`);
  }
}

/** mkctl's stdout for the twin object, with the twin's name put back: it must equal kubectl's. */
async function mkctlSays(args: string[], twin: string, name: string): Promise<string> {
  return (await cluster.ok(args)).replaceAll(twin, name);
}

async function json(args: string[]): Promise<{ [k: string]: unknown }> {
  return JSON.parse(await kubectl([...args, "-o", "json"])) as { [k: string]: unknown };
}

interface DeploymentJson {
  metadata: { labels?: { [k: string]: string }; annotations?: { [k: string]: string }; generation: number };
  spec: { replicas: number; paused?: boolean; template: { metadata: { annotations?: { [k: string]: string } }; spec: { containers: { name: string; image: string; env?: { name: string }[] }[] } } };
}

async function deploymentJson(name: string): Promise<DeploymentJson> {
  return (await json(["get", "deployment", name])) as unknown as DeploymentJson;
}

const images = (d: DeploymentJson) => d.spec.template.spec.containers.map((c) => `${c.name}=${c.image}`);

/** The API server's count of pod evictions it carried out (mk_apiserver_pod_evictions_total). */
async function evictions(): Promise<number> {
  const state = JSON.parse(readFileSync(join(cluster.home, "cluster", "state.json"), "utf8")) as { components: { name: string; healthUrl: string }[] };
  const url = state.components.find((c) => c.name === "apiserver")?.healthUrl.replace(/\/readyz$/, "/metrics");
  assert.ok(url, "the API server's metrics address in state.json");
  const text = await (await fetch(url)).text();
  return Number(/^mk_apiserver_pod_evictions_total\{outcome="evicted"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

const TWO = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: mk/web:v1
      - name: side
        image: mk/busybox:1
        command: [sleep, "3600"]
`;

function file(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

before(async () => {
  binary = await kubectl132();
  work = await mkdtemp(join(tmpdir(), "mk-e2e-kubectl-patch-"));
  cluster = await LocalCluster.create({ name: "kpatch", nodes: 2 });
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
});

after(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

step("create deployment web --image=mk/web:v1 --replicas=3 (a protobuf body), then rollout status", async () => {
  assert.equal(await kubectl(["create", "deployment", "web", "--image=mk/web:v1", "--replicas=3"]), "deployment.apps/web created\n");
  assert.equal(await mkctlSays(["create", "deployment", "web-m", "--image=mk/web:v1", "--replicas=1"], "web-m", "web"), "deployment.apps/web created\n");
  const status = await kubectl(["rollout", "status", "deployment/web", "--timeout=240s"]);
  assert.match(status, /deployment "web" successfully rolled out\n$/);
  const d = await deploymentJson("web");
  assert.equal(d.spec.replicas, 3);
  assert.deepEqual(images(d), ["web=mk/web:v1"]);
});

step("apply -f twice: created, then unchanged; a changed file is configured", async () => {
  const two = file("two.yaml", TWO("two"));
  const twin = file("two-m.yaml", TWO("two-m"));
  const says = async (args: string[]) => {
    const k = await kubectl(args);
    assert.equal(await mkctlSays(args.map((a) => (a === two ? twin : a)), "two-m", "two"), k);
    return k;
  };
  assert.equal(await says(["apply", "-f", two]), "deployment.apps/two created\n");
  assert.equal(await says(["apply", "-f", two]), "deployment.apps/two unchanged\n");
  writeFileSync(two, TWO("two").replace("replicas: 1", "replicas: 2"));
  writeFileSync(twin, TWO("two-m").replace("replicas: 1", "replicas: 2"));
  assert.equal(await says(["apply", "-f", two]), "deployment.apps/two configured\n");
  assert.equal(await says(["apply", "-f", two]), "deployment.apps/two unchanged\n");
  assert.equal((await deploymentJson("two")).spec.replicas, 2);
});

/** A Deployment of no replicas (nothing runs) with the named containers, in that order. */
const ORDERED = (name: string, containers: string[]) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 0
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
${containers.map((c) => `      - name: ${c}\n        image: mk/web:v1\n`).join("")}`;

step("apply with the containers reordered and one added between: $setElementOrder keeps the file's order", async () => {
  const names = async (name: string) => ((await json(["get", "deployment", name])) as unknown as DeploymentJson).spec.template.spec.containers.map((c) => c.name);
  for (const [name, run] of [
    ["order", (args: string[]) => kubectl(args)],
    ["order-m", (args: string[]) => cluster.ok(args)],
  ] as const) {
    const path = file(`${name}.yaml`, ORDERED(name, ["web", "side"]));
    assert.equal(await run(["apply", "-f", path]), `deployment.apps/${name} created\n`);
    writeFileSync(path, ORDERED(name, ["side", "extra", "web"]));
    // kubectl (and mkctl) send only the new container plus $setElementOrder/containers: the server
    // must put the merged list in the file's order, not append the new one after the old ones.
    assert.equal(await run(["apply", "-f", path]), `deployment.apps/${name} configured\n`);
    assert.deepEqual(await names(name), ["side", "extra", "web"], name);
    assert.equal(await run(["apply", "-f", path]), `deployment.apps/${name} unchanged\n`);
    await run(["delete", "deployment", name]);
  }
});

step("scale through the Scale subresource", async () => {
  assert.equal(await kubectl(["scale", "deployment/web", "--replicas=2"]), "deployment.apps/web scaled\n");
  assert.equal(await mkctlSays(["scale", "deployment/web-m", "--replicas=2"], "web-m", "web"), "deployment.apps/web scaled\n");
  assert.equal((await deploymentJson("web")).spec.replicas, 2);
});

step("set image on one container of two changes only that container", async () => {
  assert.equal(await kubectl(["set", "image", "deployment/two", "side=mk/web:v2"]), "deployment.apps/two image updated\n");
  assert.equal(await mkctlSays(["set", "image", "deployment/two-m", "side=mk/web:v2"], "two-m", "two"), "deployment.apps/two image updated\n");
  assert.deepEqual(images(await deploymentJson("two")), ["web=mk/web:v1", "side=mk/web:v2"]);
  assert.match(await kubectl(["rollout", "status", "deployment/two", "--timeout=240s"]), /successfully rolled out/);
});

step("rollout history, undo (back to the first ReplicaSet, no new one), pause, resume, restart", async () => {
  const history = await kubectl(["rollout", "history", "deployment/two"]);
  assert.match(history, /^deployment\.apps\/two \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
  const rsBefore = (await kubectl(["get", "rs", "-l", "app=two", "-o", "name"])).trim().split("\n");
  assert.equal(rsBefore.length, 2, rsBefore.join(" "));
  assert.equal(await kubectl(["rollout", "undo", "deployment/two"]), "deployment.apps/two rolled back\n");
  assert.deepEqual(images(await deploymentJson("two")), ["web=mk/web:v1", "side=mk/busybox:1"]);
  // kubectl sends the old ReplicaSet's template (with `resources: {}`): the controller must find that
  // ReplicaSet again (revision 3) rather than make a third.
  await eventually("revision 3 on the first ReplicaSet", async () => /^2\s.*\n3\s/m.test(await kubectl(["rollout", "history", "deployment/two"])), 120_000);
  assert.equal((await kubectl(["get", "rs", "-l", "app=two", "-o", "name"])).trim().split("\n").length, 2);
  assert.equal(await kubectl(["rollout", "pause", "deployment/two"]), "deployment.apps/two paused\n");
  assert.equal((await deploymentJson("two")).spec.paused, true);
  assert.equal(await kubectl(["rollout", "resume", "deployment/two"]), "deployment.apps/two resumed\n");
  assert.equal(await kubectl(["rollout", "restart", "deployment/two"]), "deployment.apps/two restarted\n");
  assert.ok((await deploymentJson("two")).spec.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"]);
  for (const verb of ["pause", "resume", "restart"]) {
    assert.equal(await mkctlSays(["rollout", verb, "deployment/two-m"], "two-m", "two"), `deployment.apps/two ${verb === "pause" ? "paused" : verb === "resume" ? "resumed" : "restarted"}\n`);
  }
  assert.match(await kubectl(["rollout", "status", "deployment/two", "--timeout=240s"]), /successfully rolled out/);
});

step("label and annotate", async () => {
  assert.equal(await kubectl(["label", "deployment", "web", "tier=front"]), "deployment.apps/web labeled\n");
  assert.equal(await kubectl(["annotate", "deployment", "web", "note=hello"]), "deployment.apps/web annotated\n");
  assert.equal(await mkctlSays(["label", "deployment", "web-m", "tier=front"], "web-m", "web"), "deployment.apps/web labeled\n");
  assert.equal(await mkctlSays(["annotate", "deployment", "web-m", "note=hello"], "web-m", "web"), "deployment.apps/web annotated\n");
  const d = await deploymentJson("web");
  assert.equal(d.metadata.labels?.tier, "front");
  assert.equal(d.metadata.annotations?.note, "hello");
});

step("patch with each of the three types; mkctl patch prints the same", async () => {
  const cases: [string[], string][] = [
    [["-p", '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"A","value":"1"}]}]}}}}'], "patched"],
    [["-p", '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"A","value":"1"}]}]}}}}'], "patched (no change)"],
    [["--type", "merge", "-p", '{"metadata":{"labels":{"patched":"merge"}}}'], "patched"],
    [["--type", "json", "-p", '[{"op":"add","path":"/metadata/annotations/patched","value":"json"}]'], "patched"],
  ];
  for (const [args, word] of cases) {
    assert.equal(await kubectl(["patch", "deployment", "two", ...args]), `deployment.apps/two ${word}\n`);
    assert.equal(await mkctlSays(["patch", "deployment", "two-m", ...args], "two-m", "two"), `deployment.apps/two ${word}\n`);
  }
  const d = await deploymentJson("two");
  const [web, side] = d.spec.template.spec.containers;
  assert.deepEqual(web?.env?.map((e) => e.name), ["A"]);
  assert.equal(side?.name, "side", "the strategic patch of web left side in place");
  assert.equal(side?.env, undefined);
  assert.equal(d.metadata.labels?.patched, "merge");
  assert.equal(d.metadata.annotations?.patched, "json");
});

step("edit with EDITOR set to a script that changes replicas", async () => {
  const editor = file("editor.sh", "#!/bin/sh\nsed -i 's/^  replicas: [0-9]*$/  replicas: 3/' \"$1\"\n");
  chmodSync(editor, 0o755);
  assert.equal(await kubectl(["edit", "deployment/web"], { EDITOR: editor }), "deployment.apps/web edited\n");
  assert.equal((await deploymentJson("web")).spec.replicas, 3);
  assert.match(await kubectl(["rollout", "status", "deployment/web", "--timeout=240s"]), /successfully rolled out/);
});

step("logs -f streams the container's output; logs prints what mkctl logs prints", async () => {
  const pod = (await kubectl(["get", "pods", "-l", "app=web", "-o", "name"])).trim().split("\n")[0] ?? "";
  assert.match(pod, /^pod\/web-/);
  const child = spawn(binary, ["logs", "-f", pod, "--cache-dir", join(work, "cache")], { env: kubectlEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
  try {
    await eventually("the server's start line in logs -f", () => out.includes("listening"), 60_000);
    assert.equal(child.exitCode, null, "logs -f keeps following");
  } finally {
    child.kill();
  }
  assert.equal(err, "");
  const all = await kubectl(["logs", pod]);
  assert.ok(all.length > 0);
  assert.equal(await cluster.ok(["logs", pod]), all);
  assert.equal(await kubectl(["logs", pod, "--tail=1"]), `${all.trimEnd().split("\n").at(-1)}\n`);
});

step("cordon, drain (the API server receives one eviction per pod on the node), uncordon", async () => {
  const node = cluster.nodes[0] ?? "";
  assert.equal(await kubectl(["cordon", node]), `node/${node} cordoned\n`);
  assert.match(await kubectl(["get", "node", node]), /SchedulingDisabled/);
  const onNode = (await kubectl(["get", "pods", "-A", "--field-selector", `spec.nodeName=${node}`, "-o", "name"])).trim().split("\n").filter((l) => l !== "");
  assert.ok(onNode.length > 0, "pods to drain");
  const before = await evictions();
  const drained = await kubectl(["drain", node, "--ignore-daemonsets", "--timeout=240s"]);
  for (const p of onNode) assert.match(drained, new RegExp(`${p.replace("pod/", "pod/")} evicted`));
  assert.match(drained, new RegExp(`node/${node} drained\n$`));
  assert.equal((await evictions()) - before, onNode.length, "one eviction per pod, received by the API server");
  assert.equal((await kubectl(["get", "pods", "-A", "--field-selector", `spec.nodeName=${node}`, "-o", "name"])).trim(), "");
  assert.equal(await kubectl(["uncordon", node]), `node/${node} uncordoned\n`);
  const other = cluster.nodes[1] ?? "";
  assert.equal(await mkctlSays(["cordon", other], other, node), `node/${node} cordoned\n`);
  assert.equal(await mkctlSays(["uncordon", other], other, node), `node/${node} uncordoned\n`);
  assert.doesNotMatch(await kubectl(["get", "nodes"]), /SchedulingDisabled/);
});
