// api-resources and events beside Kubernetes' kubectl on the same TLS API server; set env and set
// resources on a deployment's template; completion fish.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ConfigMap, Pod } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { EventRecorder } from "@mk/proto/client";
import { MKCTL } from "../../harness/mkctl.js";
import { eventually } from "../../harness/wait.js";
import { type BothEnv, KUBECTL_MISSING, masked, startBothEnv } from "./tls-env.js";

let env: BothEnv;

before(async () => {
  env = await startBothEnv();
});
after(() => env?.stop());

async function same(argv: string[], mask = false): Promise<string> {
  const [m, k] = await Promise.all([env.mkctl(argv), env.kubectl(argv)]);
  assert.equal(m.code, k.code, `${argv.join(" ")}: ${m.stderr} / ${k.stderr}`);
  assert.equal(mask ? masked(m.stdout) : m.stdout, mask ? masked(k.stdout) : k.stdout, argv.join(" "));
  assert.equal(m.stderr, k.stderr.split("\n").filter((l) => !/^[EIW]\d{4} /.test(l)).join("\n"), `stderr of ${argv.join(" ")}`);
  return m.stdout;
}

test("api-resources lists the kinds as kubectl lists the server's discovery", { skip: KUBECTL_MISSING }, async () => {
  const table = await same(["api-resources"]);
  assert.match(table, /^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND\n/);
  assert.match(table, /\ndeployments +deploy +apps\/v1 +true +Deployment\n/);
  await same(["api-resources", "--namespaced=false"]);
  await same(["api-resources", "-o", "name"]);
  await same(["api-resources", "--api-group=apps", "--no-headers"]);
  await same(["api-resources", "--sort-by=kind"]);
});

test("events: oldest first, LAST SEEN with repeats, --for one object, -A; -w prints new ones", { skip: KUBECTL_MISSING }, async () => {
  for (const name of ["ev-a", "ev-b"]) {
    await env.cs.pods.create(Pod.fromPartial({ apiVersion: "v1", kind: "Pod", metadata: emptyMeta({ name, namespace: "default" }), spec: { containers: [{ name: "c", image: "mk/web:v1" }] } }));
  }
  const rec = new EventRecorder(env.cs, { component: "kubelet", host: "node-1" });
  const podRef = async (name: string) => ({ apiVersion: "v1", kind: "Pod", metadata: (await env.cs.pods.get(name, "default")).metadata });
  await rec.record("Pod", await podRef("ev-b"), "Normal", "Scheduled", "Successfully assigned default/ev-b to node-1");
  await new Promise((r) => setTimeout(r, 1100));
  await rec.record("Pod", await podRef("ev-a"), "Warning", "BackOff", "Back-off restarting failed container c");
  await rec.record("Pod", await podRef("ev-a"), "Warning", "BackOff", "Back-off restarting failed container c");
  const all = await same(["events"], true);
  assert.match(all, /^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE\n.*Normal +Scheduled +Pod\/ev-b .*\n.*Warning +BackOff +Pod\/ev-a .*\n$/);
  await same(["events", "--for", "pod/ev-a"], true);
  await same(["events", "-A"], true);
  await same(["events", "--types=Normal"], true);
  await same(["events", "-n", "kube-system"]);

  const child = spawn(process.execPath, [MKCTL, "--kubeconfig", env.kubeconfig, "events", "-w", "--for", "pod/ev-b"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  try {
    await eventually("the listed event", async () => out.includes("Scheduled"), 30_000);
    await rec.record("Pod", await podRef("ev-b"), "Normal", "Pulled", "Container image already present");
    await rec.record("Pod", await podRef("ev-a"), "Normal", "Ignored", "not about ev-b");
    await eventually("the new event", async () => out.includes("Pulled"), 30_000);
    assert.ok(!out.includes("Ignored"), out);
  } finally {
    child.kill("SIGINT");
  }
});

test("set env: KEY=VALUE, KEY-, --from=configmap with a prefix, --list; nothing printed when nothing changes", async () => {
  assert.equal((await env.mkctl(["create", "deployment", "web", "--image=mk/web:v1", "--image=mk/busybox:1"])).code, 0);
  assert.deepEqual(await env.mkctl(["set", "env", "deployment/web", "A=1", "B=two"]), { code: 0, stdout: "deployment.apps/web env updated\n", stderr: "" });
  const envOf = async (container = 0) => (await env.cs.deployments.get("web", "default")).spec?.template?.spec?.containers[container]?.env.map((e) => `${e.name}=${e.value}`);
  assert.deepEqual(await envOf(0), ["A=1", "B=two"]);
  assert.deepEqual(await envOf(1), ["A=1", "B=two"]);
  assert.deepEqual(await env.mkctl(["set", "env", "deployment/web", "A=1"]), { code: 0, stdout: "", stderr: "" });
  assert.deepEqual(await env.mkctl(["set", "env", "deploy", "web", "A-", "-c", "busy*"]), { code: 0, stdout: "deployment.apps/web env updated\n", stderr: "" });
  assert.deepEqual(await envOf(1), ["B=two"]);
  assert.deepEqual(await envOf(0), ["A=1", "B=two"]);

  await env.cs.resource("ConfigMap").create(ConfigMap.fromPartial({ apiVersion: "v1", kind: "ConfigMap", metadata: emptyMeta({ name: "cfg", namespace: "default" }), data: { "log-level": "debug" } }));
  assert.equal((await env.mkctl(["set", "env", "deployment/web", "--from=configmap/cfg", "--prefix=app_", "-c", "web"])).code, 0);
  const web = (await env.cs.deployments.get("web", "default")).spec?.template?.spec?.containers[0];
  assert.deepEqual(web?.env.at(-1)?.valueFrom?.configMapKeyRef, { name: "cfg", key: "log-level", optional: undefined });
  assert.equal(web?.env.at(-1)?.name, "APP_LOG_LEVEL");
  assert.deepEqual(await env.mkctl(["set", "env", "deployment/web", "--list", "-c", "web"]), {
    code: 0,
    stdout: "# deployments/web, container web\nA=1\nB=two\n# APP_LOG_LEVEL from configmap cfg, key log-level\n",
    stderr: "",
  });
  assert.deepEqual(await env.mkctl(["set", "env", "deployment/nope", "A=1"]), { code: 1, stdout: "", stderr: 'Error from server (NotFound): deployments.apps "nope" not found\n' });
  assert.deepEqual(await env.mkctl(["set", "env", "deployment/web", "1BAD=x"]), { code: 1, stdout: "", stderr: "error: invalid key name: 1BAD\n" });
});

test("set resources: limits and requests on the chosen containers; bad quantities and no change refused", async () => {
  assert.deepEqual(await env.mkctl(["set", "resources", "deployment/web", "-c=web", "--limits=cpu=200m,memory=512Mi", "--requests=cpu=100m"]), {
    code: 0,
    stdout: "deployment.apps/web resource requirements updated\n",
    stderr: "",
  });
  const spec = (await env.cs.deployments.get("web", "default")).spec?.template?.spec;
  assert.deepEqual(spec?.containers[0]?.resources, { limits: { cpu: "200m", memory: "512Mi" }, requests: { cpu: "100m" } });
  assert.deepEqual(spec?.containers[1]?.resources?.limits ?? {}, {});
  const bad = await env.mkctl(["set", "resources", "deployment/web", "--limits=cpu=lots"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: quantities must match the regular expression .*\(cpu=lots\)\n$/);
  assert.deepEqual(await env.mkctl(["set", "resources", "deployment/web"]), {
    code: 1,
    stdout: "",
    stderr: "error: you must specify an update to requests or limits (in the form of --requests/--limits)\n",
  });
});

test("completion fish names every command, its flags and the resource types", async () => {
  const r = await env.mkctl(["completion", "fish"]);
  assert.equal(r.code, 0, r.stderr);
  for (const line of [
    "complete -c mkctl -n '__mkctl_words_are 1' -a taint -d 'Update the taints on one or more nodes'",
    "complete -c mkctl -n '__mkctl_using get' -l sort-by -r",
    "complete -c mkctl -n '__mkctl_using config; and __mkctl_words_are 2' -a use-context",
    "complete -c mkctl -n '__mkctl_using completion; and __mkctl_words_are 2' -a 'bash zsh fish'",
  ]) {
    assert.ok(r.stdout.includes(line), line);
  }
  assert.match(r.stdout, /__mkctl_using get; and __mkctl_words_are 2' -a '[^']*\bdeployments\b/);
});

test("cluster-info dump: nodes, then each namespace's lists and every container's log lines; --output-directory writes files", async () => {
  const r = await env.mkctl(["cluster-info", "dump", "--namespaces", "default"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\{\n {4}"kind": "NodeList",/);
  for (const kind of ["EventList", "ServiceList", "DeploymentList", "ReplicaSetList", "PodList"]) assert.ok(r.stdout.includes(`"kind": "${kind}"`), kind);
  assert.ok(r.stdout.includes('"name": "ev-a"'));
  // The pods have no node here: the log section says why and the dump goes on.
  assert.match(r.stdout, /==== START logs for container c of pod default\/ev-a ====\n.*\n==== END logs for container c of pod default\/ev-a ====\n/);
  const dir = join(env.dir, "dump");
  assert.deepEqual(await env.mkctl(["cluster-info", "dump", "--output-directory", dir, "-o", "yaml"]), { code: 0, stdout: `Cluster info dumped to ${dir}\n`, stderr: "" });
  assert.match(readFileSync(join(dir, "default", "pods.yaml"), "utf8"), /^apiVersion: v1\nitems:\n/);
  assert.match(readFileSync(join(dir, "default", "ev-b", "logs.txt"), "utf8"), /^==== START logs for container c of pod default\/ev-b ====\n/);
  assert.match(readFileSync(join(dir, "nodes.yaml"), "utf8"), /kind: NodeList\n/);
});
