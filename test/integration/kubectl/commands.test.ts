// mkctl's everyday commands against a real API server: create, get (tables, -o, -A, -l, -w),
// describe with events, label/annotate, delete (wait, force), version, and the one-line errors.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Node, Pod } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { type Clientset, EventRecorder, NotFoundError } from "@mk/proto/client";
import { InformerFactory } from "@mk/proto/informer";
import { silentLogger } from "@mk/controller/log.js";
import { NamespaceController } from "@mk/controller/namespace/controller.js";
import type { TestApiServer } from "../../harness/apiserver.js";
import { type MkctlEnv, mkctlFor, REPO, type Run, startMkctlEnv } from "./mkctl.js";

let env: MkctlEnv;
let api: TestApiServer;
let cs: Clientset;
let mkctl: MkctlEnv["mkctl"];

// `delete ns` waits, as kubectl does, until the namespace is gone: emptying it is the controller
// manager's namespace controller's work, run here in-process beside the API server.
const controllers = new AbortController();
let namespaceController: Promise<void> | undefined;
let factory: InformerFactory | undefined;

before(async () => {
  env = await startMkctlEnv();
  ({ api, cs, mkctl } = env);
  factory = new InformerFactory(cs, { logger: silentLogger });
  const c = new NamespaceController({ client: cs, namespaceInformer: factory.informerFor("Namespace"), logger: silentLogger, recheckMs: 200 });
  namespaceController = c.run(1, controllers.signal);
  factory.start(controllers.signal);
});

after(async () => {
  controllers.abort();
  await namespaceController;
  await factory?.stop();
  await env.stop();
});

const ok = (stdout: string): Run => ({ code: 0, stdout, stderr: "" });

test("create deployment and namespace print kubectl's lines and build kubectl's objects", async () => {
  assert.deepEqual(await mkctl(["create", "namespace", "team"]), ok("namespace/team created\n"));
  assert.deepEqual(
    await mkctl(["create", "deployment", "hello", "--image=127.0.0.1:5000/mk/web:v1", "--replicas", "2", "--port", "8080", "-n", "team"]),
    ok("deployment.apps/hello created\n"),
  );
  const d = await cs.deployments.get("hello", "team");
  assert.deepEqual(d.spec?.selector?.matchLabels, { app: "hello" });
  assert.equal(d.spec?.replicas, 2);
  assert.equal(d.spec?.template?.spec?.containers[0]?.name, "web");
  assert.equal(d.spec?.template?.spec?.containers[0]?.ports[0]?.containerPort, 8080);
  const again = await mkctl(["create", "ns", "team"]);
  assert.deepEqual(again, { code: 1, stdout: "", stderr: 'Error from server (AlreadyExists): namespaces "team" already exists\n' });
});

test("get: tables, -o name/json/jsonpath, -A, -l, --no-headers, not found and empty", async () => {
  await mkctl(["create", "deployment", "web", "--image=mk/web:v1"]);
  const table = await mkctl(["get", "deployments"]);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /^NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    0\/1     0            0           \d+s\n$/);
  assert.deepEqual(await mkctl(["get", "deploy/web", "-o", "name"]), ok("deployment.apps/web\n"));
  assert.deepEqual(await mkctl(["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].name}"]), ok("web"));
  const json = JSON.parse((await mkctl(["get", "deploy", "web", "-o", "json"])).stdout) as { kind: string; spec: { replicas: number } };
  assert.equal(json.kind, "Deployment");
  assert.equal(json.spec.replicas, 1);
  const list = JSON.parse((await mkctl(["get", "deploy", "-A", "-o", "json"])).stdout) as { kind: string; items: unknown[] };
  assert.equal(list.kind, "List");
  assert.equal(list.items.length, 2);

  const all = await mkctl(["get", "deploy", "-A", "--no-headers"]);
  assert.match(all.stdout, /^default   web     0\/1   0     0     \d+s\nteam      hello   0\/2   0     0     \d+s\n$/);
  const wide = await mkctl(["get", "deploy", "-n", "team", "-o", "wide"]);
  assert.match(wide.stdout, /^NAME    READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES                     SELECTOR\n/);
  assert.match(wide.stdout, /\nhello   0\/2     0            0           \d+s +web          127\.0\.0\.1:5000\/mk\/web:v1   app=hello\n$/);
  assert.deepEqual(await mkctl(["get", "deploy", "-l", "app=nothing"]), { code: 0, stdout: "", stderr: "No resources found in default namespace.\n" });
  assert.deepEqual(await mkctl(["get", "deploy", "nope"]), {
    code: 1,
    stdout: "",
    stderr: 'Error from server (NotFound): deployments.apps "nope" not found\n',
  });
  const ns = await mkctl(["get", "ns"]);
  assert.match(ns.stdout, /^NAME +STATUS   AGE\ndefault +Active   \d+s\n/);
  assert.deepEqual(await mkctl(["get", "widgets"]), { code: 1, stdout: "", stderr: 'error: the server doesn\'t have a resource type "widgets"\n' });
});

async function addNode(name: string): Promise<void> {
  const n = await cs.nodes.create(Node.fromPartial({ metadata: emptyMeta({ name, labels: { "node-role.kubernetes.io/worker": "" } }) }));
  n.status = {
    capacity: { cpu: "4", memory: "8Gi", pods: "110" },
    allocatable: { cpu: "4", memory: "8Gi", pods: "110" },
    conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: "", lastTransitionTime: "", reason: "KubeletReady", message: "" }],
    addresses: [{ type: "InternalIP", address: "10.1.0.2" }],
    nodeInfo: {
      machineId: "",
      bootId: "",
      kernelVersion: "6.1.0",
      osImage: "Debian GNU/Linux 12",
      containerRuntimeVersion: "docker://26.1.5",
      kubeletVersion: "v0.1.0",
      operatingSystem: "linux",
      architecture: "amd64",
    },
    daemonEndpoints: undefined,
  };
  await cs.nodes.updateStatus(n);
}

test("pods and nodes print kubectl's STATUS; describe shows sections and events", async () => {
  await addNode("node-1");
  const nodes = await mkctl(["get", "nodes", "-o", "wide"]);
  assert.match(nodes.stdout, /^NAME     STATUS   ROLES    AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE              KERNEL-VERSION   CONTAINER-RUNTIME\n/);
  assert.match(nodes.stdout, /\nnode-1   Ready    worker   \d+s +v0\.1\.0    10\.1\.0\.2      <none>        Debian GNU\/Linux 12   6\.1\.0            docker:\/\/26\.1\.5\n$/);

  const p = await cs.pods.create(
    Pod.fromPartial({ metadata: emptyMeta({ name: "crashy", namespace: "default", labels: { app: "crashy" } }), spec: { containers: [{ name: "c", image: "mk/busybox:1" }] } }),
  );
  await cs.bind("default", "crashy", "node-1", p.metadata?.uid);
  const bound = await cs.pods.get("crashy", "default");
  bound.status = Pod.fromJSON({
    status: {
      phase: "Running",
      podIP: "172.17.0.5",
      podIPs: [{ ip: "172.17.0.5" }],
      hostIP: "10.1.0.2",
      containerStatuses: [
        {
          name: "c",
          restartCount: 3,
          state: { waiting: { reason: "CrashLoopBackOff" } },
          // 150.5 min ago prints "150m" for half a minute: mkctl may take seconds on a loaded machine.
          lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: new Date(Date.now() - 9_030_000).toISOString() } },
        },
      ],
    },
  }).status;
  await cs.pods.updateStatus(bound);
  const pods = await mkctl(["get", "pods", "-o", "wide"]);
  assert.match(pods.stdout, /^NAME     READY   STATUS             RESTARTS +AGE   IP           NODE     NOMINATED NODE   READINESS GATES\n/);
  assert.match(pods.stdout, /\ncrashy   0\/1     CrashLoopBackOff   3 \(150m ago\)   \d+s +172\.17\.0\.5   node-1   <none>           <none>\n$/);

  const rec = new EventRecorder(cs, { component: "kubelet", host: "node-1" });
  await rec.record("Pod", { apiVersion: "v1", kind: "Pod", metadata: bound.metadata }, "Warning", "BackOff", "Back-off restarting failed container c");
  const events = await mkctl(["get", "events"]);
  assert.match(events.stdout, /^LAST SEEN   TYPE      REASON    OBJECT       MESSAGE\n\d+s +Warning   BackOff   pod\/crashy   Back-off restarting failed container c\n$/);

  const desc = await mkctl(["describe", "pod", "crashy"]);
  assert.equal(desc.code, 0, desc.stderr);
  for (const want of [
    /^Name: +crashy\nNamespace: +default\n/,
    /\nNode: +node-1\/10\.1\.0\.2\n/,
    /\nLabels: +app=crashy\n/,
    /\nStatus: +Running\n/,
    /\nIP: +172\.17\.0\.5\n/,
    /\nContainers:\n  c:\n    Container ID: *\n    Image: +mk\/busybox:1\n/,
    /\n    State: +Waiting\n      Reason: +CrashLoopBackOff\n    Last State: +Terminated\n      Reason: +Error\n      Exit Code: +1\n/,
    /\n    Restart Count: +3\n/,
    /\nEvents:\n  Type +Reason +Age +From +Message\n  ---- +------ +---- +---- +-------\n  Warning +BackOff +\d+s +kubelet +Back-off restarting failed container c\n$/,
  ]) {
    assert.match(desc.stdout, want);
  }
  const dn = await mkctl(["describe", "node", "node-1"]);
  assert.match(dn.stdout, /^Name: +node-1\nRoles: +worker\n/);
  assert.match(dn.stdout, /\nNon-terminated Pods: +\(1 in total\)\n/);
});

test("describe deployment prints kubectl's summary lines", async () => {
  const d = await mkctl(["describe", "deploy", "web"]);
  assert.equal(d.code, 0, d.stderr);
  for (const want of [
    /^Name: +web\nNamespace: +default\nCreationTimestamp: +\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\n/,
    /\nSelector: +app=web\n/,
    /\nReplicas: +1 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable\n/,
    /\nStrategyType: +RollingUpdate\nMinReadySeconds: +0\nRollingUpdateStrategy: +25% max unavailable, 25% max surge\n/,
    /\nPod Template:\n  Labels: +app=web\n  Containers:\n   web:\n    Image: +mk\/web:v1\n/,
    /\nNewReplicaSet: +<none>\n/,
    /\nEvents: +<none>\n$/,
  ]) {
    assert.match(d.stdout, want);
  }
  assert.deepEqual(await mkctl(["describe", "deploy", "zzz"]), { code: 1, stdout: "", stderr: 'Error from server (NotFound): deployments.apps "zzz" not found\n' });
});

test("label and annotate", async () => {
  assert.deepEqual(await mkctl(["label", "deploy", "web", "tier=front"]), ok("deployment.apps/web labeled\n"));
  const clash = await mkctl(["label", "deploy", "web", "tier=back"]);
  assert.deepEqual(clash, { code: 1, stdout: "", stderr: "error: 'tier' already has a value (front), and --overwrite is false\n" });
  assert.deepEqual(await mkctl(["label", "deploy/web", "tier=back", "--overwrite"]), ok("deployment.apps/web labeled\n"));
  assert.deepEqual((await cs.deployments.get("web", "default")).metadata?.labels, { app: "web", tier: "back" });
  const shown = await mkctl(["get", "deploy", "web", "--show-labels"]);
  assert.match(shown.stdout, /LABELS\nweb .* app=web,tier=back\n$/);
  assert.deepEqual(await mkctl(["label", "deploy", "web", "tier-"]), ok("deployment.apps/web labeled\n"));
  assert.deepEqual(await mkctl(["annotate", "deploy", "web", "owner=team-a"]), ok("deployment.apps/web annotated\n"));
  assert.equal((await cs.deployments.get("web", "default")).metadata?.annotations.owner, "team-a");
  assert.deepEqual(await mkctl(["annotate", "ns", "team", "note=x"]), ok("namespace/team annotated\n"));
});

test("delete: deployments go, a bound pod waits for its kubelet, --force skips the wait", async () => {
  assert.deepEqual(await mkctl(["delete", "deploy", "hello", "-n", "team"]), ok('deployment.apps "hello" deleted\n'));
  await assert.rejects(cs.deployments.get("hello", "team"), NotFoundError);

  // A bound pod: delete waits until the kubelet (here: the test) confirms with a grace-0 delete.
  const waiting = mkctl(["delete", "pod", "crashy"]);
  let done = false;
  void waiting.then(() => {
    done = true;
  });
  for (let i = 0; i < 50 && !(await cs.pods.get("crashy", "default")).metadata?.deletionTimestamp; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(done, false, "mkctl delete waits for the kubelet");
  await cs.pods.delete("crashy", "default", { gracePeriodSeconds: 0 });
  assert.deepEqual(await waiting, ok('pod "crashy" deleted\n'));

  await cs.pods.create(Pod.fromPartial({ metadata: emptyMeta({ name: "stuck", namespace: "default" }), spec: { containers: [{ name: "c", image: "mk/busybox:1" }] } }));
  await cs.bind("default", "stuck", "node-1");
  const noWait = await mkctl(["delete", "pod", "stuck", "--wait=false"]);
  assert.deepEqual(noWait, ok('pod "stuck" deleted\n'));
  assert.ok((await cs.pods.get("stuck", "default")).metadata?.deletionTimestamp);
  const forced = await mkctl(["delete", "pod", "stuck", "--force", "--grace-period=0"]);
  assert.deepEqual(forced, {
    code: 0,
    stdout: 'pod "stuck" force deleted\n',
    stderr:
      "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n",
  });
  await assert.rejects(cs.pods.get("stuck", "default"), NotFoundError);
  assert.deepEqual(await mkctl(["delete", "deploy", "nope"]), { code: 1, stdout: "", stderr: 'Error from server (NotFound): deployments.apps "nope" not found\n' });
  assert.deepEqual(await mkctl(["delete", "ns", "team"]), ok('namespace "team" deleted\n'));
});

test("get -w prints a row for each change", async () => {
  const child = spawn(process.execPath, [join(REPO, "kubectl/dist/main.js"), "--server", api.address, "get", "deploy", "-w", "-n", "watched"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  await new Promise((r) => setTimeout(r, 1500));
  await mkctl(["create", "ns", "watched"]);
  await mkctl(["create", "deployment", "w1", "--image=mk/web:v1", "-n", "watched"]);
  await cs.updateScale("Deployment", "watched", "w1", 3);
  for (let i = 0; i < 50 && out.split("\n").length < 4; i++) await new Promise((r) => setTimeout(r, 100));
  child.kill("SIGINT");
  await new Promise((r) => child.on("close", r));
  const lines = out.trimEnd().split("\n");
  assert.equal(lines[0], "NAME   READY   UP-TO-DATE   AVAILABLE   AGE");
  assert.match(lines[1] ?? "", /^w1     0\/1     0            0           \d+s$/);
  assert.match(lines[2] ?? "", /^w1     0\/3     0            0           \d+s$/);
});

test("version, cluster-info, completion and an unreachable server", async () => {
  const v = await mkctl(["version"]);
  assert.match(v.stdout, /^Client Version: v\d+\.\d+\.\d+\nServer Version: v\S+\n/);
  const ci = await mkctl(["cluster-info"]);
  assert.match(ci.stdout, /^mk control plane is running at \S+:\d+\n/);
  const bash = await mkctl(["completion", "bash"]);
  assert.match(bash.stdout, /complete -o default -F _mkctl mkctl/);
  assert.match(bash.stdout, /local commands="[^"]*\bget\b[^"]*\bapply\b/);
  assert.match(bash.stdout, /deployments deployment deploy/);
  assert.match(bash.stdout, /get "\$type" -o name/);
  assert.match((await mkctl(["completion", "zsh"])).stdout, /^#compdef mkctl\n/);

  const dead = mkctlFor("127.0.0.1:1");
  const res = await dead(["get", "pods"]);
  assert.deepEqual(res, { code: 1, stdout: "", stderr: "Unable to connect to the server: 127.0.0.1:1: connection refused\n" });
  const badFlag = await mkctl(["get", "pods", "--bogus"]);
  assert.deepEqual(badFlag, { code: 1, stdout: "", stderr: "Error: unknown flag: --bogus\nSee 'mkctl get --help' for usage.\n" });
});
