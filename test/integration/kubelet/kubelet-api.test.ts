// mk-kubelet against the real API server (on real etcd) and real Docker: node registration, the lease
// heartbeat, a pod with every setting of the acceptance list, logs and exec proxied through the API
// server, the crash loop's --previous log, graceful deletion, /healthz and /metrics.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Pod } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { Kubelet } from "@mk/kubelet/kubelet.js";
import { DockerRuntime } from "@mk/kubelet/runtime/docker.js";
import { pino } from "pino";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { BUSYBOX, cleanupNode, freePort, inspect, makePod, PAUSE, podContainers, uniqueNode, WEB } from "./fixtures.js";
import { eventually } from "../../harness/wait.js";

const NODE_IP = "127.0.0.2";
const log = pino({ level: process.env.MK_TEST_LOG ?? "silent" });
let api: TestApiServer;
let cs: Clientset;
let kubelet: Kubelet;
const nodeName = uniqueNode("api");
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address });
  kubelet = new Kubelet(
    cs,
    new DockerRuntime(),
    {
      nodeName,
      clusterId: api.address,
      nodeIp: NODE_IP,
      port: 0,
      healthzPort: 0,
      podInfraImage: PAUSE,
      allowPrivileged: false,
      leaseRenewMs: 1_000,
      labels: { "mk.test/role": "worker" },
      taints: [{ key: "mk.test/dedicated", value: "x", effect: "PreferNoSchedule", timeAdded: "" }],
      resyncMs: 2_000,
    },
    log,
  );
  await kubelet.start();
});

after(async () => {
  await kubelet?.stop();
  await cleanupNode(nodeName);
  for (const c of cleanups) await c();
  cs?.close();
  await api?.stop();
});

function onNode(pod: Pod): Pod {
  if (pod.spec) pod.spec.nodeName = nodeName;
  return pod;
}

async function waitPod(name: string, what: string, ok: (p: Pod) => boolean, timeoutMs = 30_000): Promise<Pod> {
  return await eventually(what, async () => {
    const p = await cs.pods.get(name, "default");
    return ok(p) ? p : undefined;
  }, timeoutMs);
}

async function execIn(pod: string, container: string, command: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  let stdout = "";
  let stderr = "";
  let exitCode: number | undefined;
  for await (const o of cs.exec({ namespace: "default", pod, container, command })) {
    stdout += Buffer.from(o.stdout).toString();
    stderr += Buffer.from(o.stderr).toString();
    if (o.exitCode !== undefined) exitCode = o.exitCode;
  }
  return { stdout, stderr, exitCode };
}

describe("kubelet with the API server", () => {
  test("registers its Node and renews its Lease", async () => {
    const node = await cs.nodes.get(nodeName);
    assert.equal(node.metadata?.labels["kubernetes.io/hostname"], nodeName);
    assert.equal(node.metadata?.labels["mk.test/role"], "worker");
    assert.deepEqual(node.spec?.taints.map((t) => `${t.key}=${t.value}:${t.effect}`), ["mk.test/dedicated=x:PreferNoSchedule"]);
    assert.deepEqual(node.status?.addresses[0], { type: "InternalIP", address: NODE_IP });
    assert.equal(node.status?.daemonEndpoints?.kubeletEndpoint?.port, kubelet.port);
    for (const k of ["cpu", "memory", "pods"]) assert.ok(node.status?.capacity[k], `capacity ${k}`);
    const ready = node.status?.conditions.find((c) => c.type === "Ready");
    assert.equal(ready?.status, "True");
    assert.equal(ready?.reason, "KubeletReady");
    assert.equal(ready?.message, "kubelet is posting ready status");
    assert.ok(node.status?.conditions.find((c) => c.type === "MemoryPressure"));
    assert.ok(node.status?.conditions.find((c) => c.type === "DiskPressure"));
    assert.match(node.status?.nodeInfo?.containerRuntimeVersion ?? "", /^docker:\/\//);
    const l1 = await eventually("lease created", async () => await cs.leases.get(nodeName, "mk-node-lease"), 5_000);
    assert.equal(l1.spec?.holderIdentity, nodeName);
    const l2 = await eventually("lease renewed", async () => {
      const l = await cs.leases.get(nodeName, "mk-node-lease");
      return l.spec?.renewTime !== l1.spec?.renewTime ? l : undefined;
    }, 5_000);
    assert.ok(l2);
  });

  test("the acceptance pod: env, command, hostPort, 64Mi, shared emptyDir, hostPath; exec and logs -f", async () => {
    const hostDir = await mkdtemp(join(tmpdir(), "mk-kubelet-host-"));
    cleanups.push(() => rm(hostDir, { recursive: true, force: true }));
    await writeFile(join(hostDir, "note"), "from the host\n");
    const hostPort = await freePort(NODE_IP);
    await cs.pods.create(
      onNode(
        makePod("accept", {
          volumes: [
            { name: "shared", emptyDir: { medium: "", sizeLimit: "" } },
            { name: "host", hostPath: { path: hostDir, type: "Directory" } },
          ],
          containers: [
            {
              name: "web",
              image: WEB,
              imagePullPolicy: "IfNotPresent",
              env: [{ name: "GREETING", value: "hello mk" }],
              ports: [{ name: "http", containerPort: 8080, hostPort, protocol: "TCP", hostIp: "" }],
              resources: { limits: { memory: "64Mi" }, requests: {} },
              volumeMounts: [
                { name: "shared", mountPath: "/shared" },
                { name: "host", mountPath: "/host", readOnly: true },
              ],
            },
            {
              name: "ticker",
              image: BUSYBOX,
              imagePullPolicy: "IfNotPresent",
              command: ["sh", "-c"],
              args: ["echo shared-by-ticker > /shared/file; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.5; done"],
              volumeMounts: [{ name: "shared", mountPath: "/shared" }],
            },
          ] as never,
        }),
      ),
    );
    const pod = await waitPod("accept", "Running and Ready", (p) => p.status?.phase === "Running" && p.status.conditions.some((c) => c.type === "Ready" && c.status === "True"));
    assert.equal(pod.status?.hostIp, NODE_IP);
    const webId = pod.status?.containerStatuses.find((c) => c.name === "web")?.containerId.replace("docker://", "") ?? "";
    const web = await inspect(webId);
    assert.ok(web.Config.Env.includes("GREETING=hello mk"));
    assert.equal(web.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(web.HostConfig.Init, true);
    assert.match(web.HostConfig.NetworkMode, /^container:[0-9a-f]{64}$/);
    const sandbox = await inspect(web.HostConfig.NetworkMode.slice("container:".length));
    assert.deepEqual(sandbox.HostConfig.PortBindings?.["8080/tcp"], [{ HostIp: NODE_IP, HostPort: String(hostPort) }]);
    const tickerId = pod.status?.containerStatuses.find((c) => c.name === "ticker")?.containerId.replace("docker://", "") ?? "";
    const ticker = await inspect(tickerId);
    assert.deepEqual(ticker.Config.Entrypoint, ["sh", "-c"]);
    assert.equal(ticker.HostConfig.Mounts?.[0]?.Type, "volume");

    const res = await eventually("web on the node IP and hostPort", async () => {
      const r = await fetch(`http://${NODE_IP}:${hostPort}/`);
      return r.ok ? await r.text() : undefined;
    }, 30_000);
    assert.match(res, /mk web v1/);

    const ex = await execIn("accept", "web", ["sh", "-c", 'echo "$GREETING"; cat /shared/file /host/note; exit 7']);
    assert.equal(ex.stdout, "hello mk\nshared-by-ticker\nfrom the host\n");
    assert.equal(ex.exitCode, 7);

    // logs -f streams lines written after it started.
    const abort = new AbortController();
    const lines: string[] = [];
    const t0 = Date.now();
    let liveLine = false;
    for await (const chunk of cs.logs({ namespace: "default", pod: "accept", container: "ticker", follow: true, tailLines: 1 }, abort.signal)) {
      lines.push(...Buffer.from(chunk.data).toString().split("\n").filter(Boolean));
      if (lines.length >= 4) {
        liveLine = true;
        abort.abort();
      }
      if (Date.now() - t0 > 10_000) abort.abort();
    }
    assert.ok(liveLine, `followed lines: ${lines.join(" | ")}`);
    const nums = lines.map((l) => Number(l.replace("tick ", "")));
    assert.ok(nums.every((n, i) => i === 0 || n === (nums[i - 1] ?? 0) + 1), lines.join(","));

    // Non-follow with tail.
    let tail = "";
    for await (const chunk of cs.logs({ namespace: "default", pod: "accept", container: "ticker", tailLines: 2 })) tail += Buffer.from(chunk.data).toString();
    assert.equal(tail.trim().split("\n").length, 2);

    const events = await cs.events.list({ namespace: "default" });
    const reasons = events.items.filter((e) => e.involvedObject?.name === "accept").map((e) => e.reason);
    for (const r of ["Pulled", "Created", "Started"]) assert.ok(reasons.includes(r), `event ${r} in ${reasons.join(",")}`);

    // Graceful delete: the kubelet stops the containers and removes the object.
    await cs.pods.delete("accept", "default", { gracePeriodSeconds: 5 });
    await eventually("pod object gone", async () => {
      try {
        await cs.pods.get("accept", "default");
        return undefined;
      } catch {
        return true;
      }
    }, 20_000);
    assert.equal((await podContainers(pod.metadata?.uid ?? "")).length, 0);
  });

  test("a crash-looping container: CrashLoopBackOff and logs --previous", async () => {
    await cs.pods.create(onNode(makePod("crashy", { containers: [{ name: "c", image: BUSYBOX, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", "echo bye from $(hostname) attempt; exit 1"] }] as never })));
    const p = await waitPod("crashy", "CrashLoopBackOff", (x) => x.status?.containerStatuses[0]?.state?.waiting?.reason === "CrashLoopBackOff", 90_000);
    const cst = p.status?.containerStatuses[0];
    assert.ok((cst?.restartCount ?? 0) >= 1);
    assert.equal(cst?.lastState?.terminated?.exitCode, 1);
    let prev = "";
    for await (const chunk of cs.logs({ namespace: "default", pod: "crashy", previous: true })) prev += Buffer.from(chunk.data).toString();
    assert.match(prev, /bye from crashy attempt/);
    await cs.pods.delete("crashy", "default", { gracePeriodSeconds: 0 });
  });

  test("/healthz and /metrics", async () => {
    const h = await fetch(`http://${NODE_IP}:${kubelet.healthzPort}/healthz`);
    assert.equal(h.status, 200);
    const m = await (await fetch(`http://${NODE_IP}:${kubelet.healthzPort}/metrics`)).text();
    assert.match(m, /mk_kubelet_lease_renewals \d+/);
    assert.match(m, /mk_kubelet_running_pods \d+/);
  });
});
