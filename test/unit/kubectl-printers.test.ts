import assert from "node:assert/strict";
import { test } from "node:test";
import { Deployment, emptyMeta, Node, Pod } from "@mk/proto";
import { formatSelector, humanDuration, KINDS, nodeRoles, nodeStatus, podSummary } from "@mk/proto/api";
import { printObjects, parseOutput } from "@mk/kubectl/printers/index.js";
import { printJsonpath } from "@mk/kubectl/printers/jsonpath.js";
import { formatTable, formatTabs } from "@mk/kubectl/printers/tabwriter.js";

const NOW = Date.parse("2026-11-23T12:00:00Z");
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

test("ages print as kubectl's HumanDuration", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [5, "5s"],
    [119, "119s"],
    [120, "2m"],
    [182, "3m2s"],
    [600, "10m"],
    [179 * 60, "179m"],
    [3 * 3600, "3h"],
    [5 * 3600 + 20 * 60, "5h20m"],
    [8 * 3600, "8h"],
    [47 * 3600, "47h"],
    [51 * 3600, "2d3h"],
    [48 * 3600, "2d"],
    [40 * 86400, "40d"],
    [(2 * 365 + 10) * 86400, "2y10d"],
    [9 * 365 * 86400, "9y"],
  ];
  for (const [s, want] of cases) assert.equal(humanDuration(s * 1000), want, `${s}s`);
  assert.equal(humanDuration(-1500), "0s");
  assert.equal(humanDuration(-5000), "<invalid>");
});

test("tables align like Go's tabwriter: padding 3, the last column unpadded", () => {
  const out = formatTable([
    ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
    ["nginx", "3/3", "3", "3", "10s"],
  ]);
  assert.equal(out, "NAME    READY   UP-TO-DATE   AVAILABLE   AGE\nnginx   3/3     3            3           10s\n");
  // Describe: a line without a tab ends the column block.
  assert.equal(formatTabs("Name:\tweb\nRollingUpdateStrategy:\tx\nPod Template:\n  Labels:\tapp=web\n", { minWidth: 0, padding: 2 }),
    "Name:                   web\nRollingUpdateStrategy:  x\nPod Template:\n  Labels:  app=web\n");
});

function deployment(): Deployment {
  return Deployment.fromPartial({
    metadata: emptyMeta({ name: "web", namespace: "default", creationTimestamp: ago(190), labels: { app: "web" } }),
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "web", tier: "front" }, matchExpressions: [{ key: "env", operator: "In", values: ["prod", "dev"] }] },
      template: { spec: { containers: [{ name: "web", image: "mk/web:v1" }, { name: "side", image: "mk/busybox:1" }] } },
    },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  });
}

test("deployment columns, wide columns, labels and namespaces are kubectl's", () => {
  const opts = { showLabels: false, allNamespaces: false, noHeaders: false, now: NOW, single: false };
  assert.equal(
    printObjects([{ info: KINDS.Deployment, objects: [deployment()] }], parseOutput(""), opts),
    "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    2/3     3            2           3m10s\n",
  );
  assert.equal(
    printObjects([{ info: KINDS.Deployment, objects: [deployment()] }], parseOutput("wide"), { ...opts, allNamespaces: true, showLabels: true }),
    "NAMESPACE   NAME   READY   UP-TO-DATE   AVAILABLE   AGE     CONTAINERS   IMAGES                   SELECTOR                               LABELS\n" +
      "default     web    2/3     3            2           3m10s   web,side     mk/web:v1,mk/busybox:1   app=web,env in (dev,prod),tier=front   app=web\n",
  );
  assert.equal(printObjects([{ info: KINDS.Deployment, objects: [deployment()] }], parseOutput("name"), opts), "deployment.apps/web\n");
  assert.equal(formatSelector({ matchLabels: {}, matchExpressions: [{ key: "x", operator: "DoesNotExist", values: [] }] }), "!x");
});

test("int-or-string fields print as kubectl does: numbers as numbers, percents and names as strings", () => {
  const d = Deployment.fromPartial({
    metadata: emptyMeta({ name: "web", namespace: "default" }),
    spec: {
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "1", maxUnavailable: "25%" } },
      template: {
        spec: {
          containers: [
            { name: "web", readinessProbe: { httpGet: { path: "/", port: "8080" } }, livenessProbe: { tcpSocket: { port: "http" } } },
          ],
        },
      },
    },
  });
  const opts = { showLabels: false, allNamespaces: false, noHeaders: false, now: NOW, single: true };
  const yaml = printObjects([{ info: KINDS.Deployment, objects: [d] }], parseOutput("yaml"), opts);
  assert.match(yaml, /\n {6}maxSurge: 1\n {6}maxUnavailable: 25%\n/);
  assert.match(yaml, /\n {12}port: 8080\n/);
  assert.match(yaml, /\n {12}port: http\n/);
  const json = JSON.parse(printObjects([{ info: KINDS.Deployment, objects: [d] }], parseOutput("json"), opts));
  assert.equal(json.spec.template.spec.containers[0].readinessProbe.httpGet.port, 8080);
  assert.equal(json.spec.strategy.rollingUpdate.maxSurge, 1);
  assert.equal(json.spec.strategy.rollingUpdate.maxUnavailable, "25%");
});

test("JSON field names are Kubernetes' (hostIP, podIP, podIPs, containerID, imageID, machineID)", () => {
  const pod = Pod.fromPartial({
    metadata: emptyMeta({ name: "p", namespace: "default" }),
    spec: { containers: [{ name: "c", image: "mk/web:v1", ports: [{ containerPort: 80, hostPort: 8080, hostIp: "127.0.0.1" }] }] },
    status: {
      phase: "Running",
      hostIp: "10.0.0.1",
      podIp: "172.17.0.2",
      podIps: [{ ip: "172.17.0.2" }],
      containerStatuses: [{ name: "c", containerId: "docker://abc", imageId: "sha256:def" }],
    },
  });
  const opts = { showLabels: false, allNamespaces: false, noHeaders: false, now: NOW, single: true };
  const json = JSON.parse(printObjects([{ info: KINDS.Pod, objects: [pod] }], parseOutput("json"), opts));
  assert.equal(json.status.hostIP, "10.0.0.1");
  assert.equal(json.status.podIP, "172.17.0.2");
  assert.deepEqual(json.status.podIPs, [{ ip: "172.17.0.2" }]);
  assert.equal(json.status.containerStatuses[0].containerID, "docker://abc");
  assert.equal(json.status.containerStatuses[0].imageID, "sha256:def");
  assert.equal(json.spec.containers[0].ports[0].hostIP, "127.0.0.1");
  assert.equal(printJsonpath("{.status.podIP}", json), "172.17.0.2");
  const node = Node.fromPartial({ metadata: emptyMeta({ name: "n" }), spec: { podCidr: "10.1.0.0/24", providerId: "mk://n" }, status: { nodeInfo: { machineId: "m", bootId: "b" } } });
  const nj = JSON.parse(printObjects([{ info: KINDS.Node, objects: [node] }], parseOutput("json"), opts));
  assert.deepEqual([nj.spec.podCIDR, nj.spec.providerID, nj.status.nodeInfo.machineID, nj.status.nodeInfo.bootID], ["10.1.0.0/24", "mk://n", "m", "b"]);
});

test("several kinds print one table each, names prefixed with the kind", () => {
  const pod = Pod.fromPartial({ metadata: emptyMeta({ name: "p", creationTimestamp: ago(5) }), spec: { containers: [{ name: "c" }] }, status: { phase: "Pending" } });
  const out = printObjects(
    [
      { info: KINDS.Deployment, objects: [deployment()] },
      { info: KINDS.Pod, objects: [pod] },
    ],
    parseOutput(""),
    { showLabels: false, allNamespaces: false, noHeaders: false, now: NOW, single: false },
  );
  assert.equal(
    out,
    "NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\ndeployment.apps/web   2/3     3            2           3m10s\n" +
      "\nNAME    READY   STATUS    RESTARTS   AGE\npod/p   0/1     Pending   0          5s\n",
  );
});

function pod(status: object, extra: { deletionTimestamp?: string } = {}): Pod {
  return Pod.fromJSON({
    metadata: { name: "p", creationTimestamp: ago(600), ...extra },
    spec: { containers: [{ name: "a" }, { name: "b" }] },
    status,
  });
}

test("pod STATUS, READY and RESTARTS are computed as kubectl's printPod", () => {
  const running = { running: { startedAt: ago(60) } };
  assert.deepEqual(
    podSummary(pod({ phase: "Running", containerStatuses: [{ name: "a", ready: true, state: running }, { name: "b", ready: true, state: running }] }), NOW),
    { ready: "2/2", status: "Running", restarts: "0" },
  );
  assert.equal(podSummary(pod({ phase: "Pending", containerStatuses: [{ name: "a", state: { waiting: { reason: "ContainerCreating" } } }] }), NOW).status, "ContainerCreating");
  const crash = podSummary(
    pod({
      phase: "Running",
      containerStatuses: [
        { name: "a", restartCount: 3, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(300) } } },
        { name: "b", ready: true, state: running },
      ],
    }),
    NOW,
  );
  assert.deepEqual(crash, { ready: "1/2", status: "CrashLoopBackOff", restarts: "3 (5m ago)" });
  assert.equal(podSummary(pod({ phase: "Pending", containerStatuses: [{ name: "a", state: { waiting: { reason: "ErrImagePull" } } }] }), NOW).status, "ErrImagePull");
  assert.equal(podSummary(pod({ phase: "Succeeded", containerStatuses: [{ name: "a", state: { terminated: { exitCode: 0, reason: "Completed" } } }] }), NOW).status, "Completed");
  assert.equal(podSummary(pod({ phase: "Failed", containerStatuses: [{ name: "a", state: { terminated: { exitCode: 2 } } }] }), NOW).status, "ExitCode:2");
  assert.equal(podSummary(pod({ phase: "Failed", containerStatuses: [{ name: "a", state: { terminated: { exitCode: 1, reason: "Error" } } }] }), NOW).status, "Error");
  assert.equal(podSummary(pod({ phase: "Running", containerStatuses: [{ name: "a", ready: true, state: running }] }, { deletionTimestamp: ago(1) }), NOW).status, "Terminating");
  assert.equal(podSummary(pod({ phase: "Pending" }), NOW).status, "Pending");
});

test("node STATUS and ROLES", () => {
  const n = Node.fromPartial({
    metadata: emptyMeta({ name: "n1", labels: { "node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/worker": "" } }),
    spec: { unschedulable: true },
    status: { conditions: [{ type: "Ready", status: "True" }] },
  });
  assert.equal(nodeStatus(n), "Ready,SchedulingDisabled");
  assert.equal(nodeRoles(n), "control-plane,worker");
  assert.equal(nodeStatus(Node.fromPartial({ status: { conditions: [{ type: "Ready", status: "Unknown" }] } })), "NotReady");
  assert.equal(nodeStatus(Node.fromPartial({})), "Unknown");
  assert.equal(nodeRoles(Node.fromPartial({})), "<none>");
});

test("jsonpath: fields, wildcards, filters, range and literals", () => {
  const list = {
    items: [
      { metadata: { name: "a" }, status: { conditions: [{ type: "Ready", status: "True" }] } },
      { metadata: { name: "b" }, status: { conditions: [{ type: "Ready", status: "False" }] } },
    ],
  };
  assert.equal(printJsonpath("{.items[*].metadata.name}", list), "a b");
  assert.equal(printJsonpath("{.items[0].metadata.name}", list), "a");
  assert.equal(printJsonpath('{range .items[*]}{.metadata.name}{"\\n"}{end}', list), "a\nb\n");
  assert.equal(printJsonpath('{.items[?(@.status.conditions[0].status=="False")].metadata.name}', list), "b");
  assert.equal(printJsonpath("{..name}", list), "a b");
  assert.equal(printJsonpath("n={.items[1].metadata}", list), 'n={"name":"b"}');
  assert.throws(() => parseOutput("jsonpath={range .items[*]}"), /range is not closed/);
  assert.throws(() => parseOutput("table"), /unable to match a printer/);
});
