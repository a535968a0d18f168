// The pod loop against real Docker, with an in-memory API (fake-api.ts): pods start, report status on
// change, crash-loop with growing back-off, finish, terminate within their grace period, are adopted
// by a restarted kubelet, and are removed when no longer bound here.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { ContainerStatus, Pod } from "@mk/proto";
import { PodSide } from "@mk/kubelet/pods.js";
import { DockerRuntime } from "@mk/kubelet/runtime/docker.js";
import { LABEL_VOLUME_KIND, LABEL_POD_UID } from "@mk/kubelet/runtime/names.js";
import { Backoff } from "@mk/kubelet/sync/backoff.js";
import { pino } from "pino";
import { docker } from "../../harness/docker.js";
import { BUSYBOX, cleanupNode, freePort, makePod, PAUSE, podContainers, uniqueNode, WEB } from "./fixtures.js";
import { eventually } from "../../harness/wait.js";
import { FakePodApi } from "./fake-api.js";

const rt = new DockerRuntime();
const log = pino({ level: process.env.MK_TEST_LOG ?? "silent" });

interface Node {
  name: string;
  api: FakePodApi;
  side: PodSide;
}

const nodes: Node[] = [];

function startNode(api = new FakePodApi(), name = uniqueNode("loop"), backoff = new Backoff({ initialMs: 1_000, maxMs: 4_000, resetAfterMs: 600_000 })): Node {
  const side = new PodSide({
    rt,
    api,
    events: api,
    node: { nodeName: name, clusterId: "pod-loop-test", nodeIp: "127.0.0.1", podInfraImage: PAUSE, allowPrivileged: false },
    log,
    resyncMs: 1_000,
    housekeepingMs: 1_000,
    crashBackoff: backoff,
    pullBackoff: new Backoff({ initialMs: 1_000, maxMs: 4_000, resetAfterMs: 600_000 }),
  });
  side.start();
  const n = { name, api, side };
  nodes.push(n);
  return n;
}

after(async () => {
  for (const n of nodes) {
    await n.side.stop();
    await cleanupNode(n.name);
  }
});

function bound(pod: Pod, node: Node): Pod {
  if (pod.spec) pod.spec.nodeName = node.name;
  return pod;
}

async function waitStatus(n: Node, name: string, what: string, ok: (p: Pod) => boolean, timeoutMs = 60_000): Promise<Pod> {
  return await eventually(what, async () => {
    const p = n.api.get("default", name);
    return p && ok(p) ? p : undefined;
  }, timeoutMs);
}

const cstatus = (p: Pod, name: string): ContainerStatus | undefined => p.status?.containerStatuses.find((c) => c.name === name);

describe("pod loop", () => {
  test("a pod starts, reports Running and Ready with its IP, and posts nothing while idle", async () => {
    const n = startNode();
    const pod = bound(
      makePod("web", {
        volumes: [{ name: "shared", emptyDir: { medium: "", sizeLimit: "" } }],
        containers: [
          { name: "web", image: WEB, ports: [{ name: "http", containerPort: 8080, hostPort: 0, protocol: "TCP", hostIp: "" }] },
          { name: "side", image: BUSYBOX, command: ["sh", "-c", "date > /shared/d; exec sleep 3600"], volumeMounts: [{ name: "shared", mountPath: "/shared" }] },
        ] as never,
      }),
      n,
    );
    n.api.create(pod);
    const p = await waitStatus(n, "web", "Running and Ready", (x) => x.status?.phase === "Running" && x.status.conditions.find((c) => c.type === "Ready")?.status === "True");
    assert.match(p.status?.podIp ?? "", /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(p.status?.hostIp, "127.0.0.1");
    assert.ok(p.status?.startTime);
    assert.deepEqual(p.status?.conditions.map((c) => [c.type, c.status]), [
      ["PodScheduled", "True"],
      ["Initialized", "True"],
      ["ContainersReady", "True"],
      ["Ready", "True"],
    ]);
    const web = cstatus(p, "web");
    assert.ok(web?.state?.running?.startedAt);
    assert.equal(web?.ready, true);
    assert.equal(web?.restartCount, 0);
    assert.equal(web?.image, WEB);
    assert.match(web?.containerId ?? "", /^docker:\/\/[0-9a-f]{64}$/);
    const res = await fetch(`http://${p.status?.podIp}:8080/`);
    assert.match(await res.text(), /mk web v1/);
    const reasons = n.api.eventsFor("default/web").map((e) => e.reason);
    for (const r of ["Pulled", "Created", "Started"]) assert.ok(reasons.includes(r), `event ${r} in ${reasons.join(",")}`);
    // Posted on change only: with a 1 s resync, three idle seconds write nothing.
    const writes = n.api.statusWrites.length;
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(n.api.statusWrites.length, writes, "no status writes while nothing changes");
    // Three containers: the sandbox and two app containers.
    assert.equal((await podContainers(pod.metadata?.uid ?? "")).length, 3);
  });

  test("a container that exits 1 goes to CrashLoopBackOff with growing back-off", async () => {
    const n = startNode();
    n.api.create(bound(makePod("crash", { containers: [{ name: "c", image: BUSYBOX, command: ["sh", "-c", "echo run at $(date +%s); exit 1"] }] as never }), n));
    const seen = new Set<string>();
    const p = await waitStatus(
      n,
      "crash",
      "restartCount ≥ 3 after a CrashLoopBackOff",
      (x) => {
        const c = cstatus(x, "c");
        if (c?.state?.waiting?.reason) seen.add(c.state.waiting.reason);
        return (c?.restartCount ?? 0) >= 3 && seen.has("CrashLoopBackOff");
      },
      // 7 s of back-off plus four container starts, each seconds long on a loaded machine.
      90_000,
    );
    const c = cstatus(p, "c");
    assert.equal(c?.lastState?.terminated?.exitCode, 1);
    assert.equal(c?.lastState?.terminated?.reason, "Error");
    assert.equal(p.status?.phase, "Running");
    assert.ok(n.api.eventsFor("default/crash", "BackOff").length > 0);
    // Gaps between starts grow: 0, 1 s, 2 s (this test's policy: 1 s doubling to 4 s).
    const starts = n.api.eventsFor("default/crash", "Started").map((e) => e.at);
    assert.ok(starts.length >= 4, `${starts.length} starts`);
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? 0));
    assert.ok((gaps[1] ?? 0) >= 900, `second gap ${gaps[1]} ms`);
    assert.ok((gaps[2] ?? 0) >= 1_900, `third gap ${gaps[2]} ms`);
    // Only the newest dead instance is kept beside the running/new one.
    assert.ok((await podContainers(p.metadata?.uid ?? "")).length <= 3);
  });

  test("restartPolicy Never and OnFailure: Succeeded and Failed", async () => {
    const n = startNode();
    n.api.create(bound(makePod("ok", { restartPolicy: "Never", containers: [{ name: "c", image: BUSYBOX, command: ["true"] }] as never }), n));
    n.api.create(bound(makePod("bad", { restartPolicy: "Never", containers: [{ name: "c", image: BUSYBOX, command: ["sh", "-c", "exit 2"] }] as never }), n));
    n.api.create(bound(makePod("onf", { restartPolicy: "OnFailure", containers: [{ name: "c", image: BUSYBOX, command: ["true"] }] as never }), n));
    const ok = await waitStatus(n, "ok", "Succeeded", (x) => x.status?.phase === "Succeeded");
    assert.equal(cstatus(ok, "c")?.state?.terminated?.reason, "Completed");
    const bad = await waitStatus(n, "bad", "Failed", (x) => x.status?.phase === "Failed");
    assert.equal(cstatus(bad, "c")?.state?.terminated?.exitCode, 2);
    assert.equal(cstatus(bad, "c")?.restartCount, 0);
    await waitStatus(n, "onf", "Succeeded", (x) => x.status?.phase === "Succeeded");
  });

  test("deletion: SIGTERM, the grace period, SIGKILL, containers and emptyDir removed, then the object", async () => {
    const n = startNode();
    const pod = bound(
      makePod("term", {
        terminationGracePeriodSeconds: 2,
        volumes: [{ name: "scratch", emptyDir: { medium: "", sizeLimit: "" } }],
        containers: [
          { name: "polite", image: WEB },
          // Ignores SIGTERM: only the SIGKILL after the grace period stops it.
          { name: "stubborn", image: BUSYBOX, command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"], volumeMounts: [{ name: "scratch", mountPath: "/s" }] },
        ] as never,
      }),
      n,
    );
    n.api.create(pod);
    await waitStatus(n, "term", "Running", (x) => x.status?.phase === "Running" && (x.status.containerStatuses.every((c) => c.state?.running) ?? false));
    const uid = pod.metadata?.uid ?? "";
    const t0 = Date.now();
    n.api.deleteGracefully("default", "term");
    await eventually("pod object deleted", async () => (n.api.get("default", "term") ? undefined : true), 20_000);
    const took = Date.now() - t0;
    assert.ok(took >= 1_800 && took < 10_000, `termination took ${took} ms`);
    assert.equal((await podContainers(uid)).length, 0);
    const vols = await docker(["volume", "ls", "-q", "--filter", `label=${LABEL_POD_UID}=${uid}`, "--filter", `label=${LABEL_VOLUME_KIND}=emptyDir`]);
    assert.equal(vols, "");
    assert.equal(n.api.eventsFor("default/term", "Killing").length, 2);
  });

  test("a restarted kubelet adopts what runs and starts nothing twice", async () => {
    const api = new FakePodApi();
    const a = startNode(api);
    const uids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = bound(makePod(`adopt-${i}`, { containers: [{ name: "c", image: BUSYBOX, command: ["sleep", "3600"] }] as never }), a);
      uids.push(p.metadata?.uid ?? "");
      api.create(p);
    }
    for (let i = 0; i < 3; i++) await waitStatus(a, `adopt-${i}`, "Running", (x) => x.status?.phase === "Running");
    const before = (await Promise.all(uids.map(podContainers))).flat().sort();
    assert.equal(before.length, 6);
    const created = api.eventsFor("default/adopt-0", "Created").length + api.eventsFor("default/adopt-1", "Created").length;
    await a.side.stop();
    const b = startNode(api, a.name);
    // Let the new loop sync every pod a few times.
    await new Promise((r) => setTimeout(r, 3_000));
    const after = (await Promise.all(uids.map(podContainers))).flat().sort();
    assert.deepEqual(after, before);
    assert.equal(api.eventsFor("default/adopt-0", "Created").length + api.eventsFor("default/adopt-1", "Created").length, created);
    for (let i = 0; i < 3; i++) assert.equal(cstatus(api.get("default", `adopt-${i}`) as Pod, "c")?.restartCount, 0);
    void b;
  });

  test("containers of a pod no longer bound here are removed", async () => {
    const n = startNode();
    const pod = bound(makePod("gone", { containers: [{ name: "c", image: BUSYBOX, command: ["sleep", "3600"] }] as never }), n);
    n.api.create(pod);
    await waitStatus(n, "gone", "Running", (x) => x.status?.phase === "Running");
    n.api.remove("default", "gone");
    await eventually("containers removed", async () => ((await podContainers(pod.metadata?.uid ?? "")).length === 0 ? true : undefined), 20_000);
  });

  test("image failures: ErrImageNeverPull, ErrImagePull then ImagePullBackOff", async () => {
    const n = startNode();
    const port = await freePort();
    n.api.create(bound(makePod("never", { containers: [{ name: "c", image: "mk/absent:1", imagePullPolicy: "Never" }] as never }), n));
    n.api.create(bound(makePod("pull", { containers: [{ name: "c", image: `127.0.0.1:${port}/mk/absent:1`, imagePullPolicy: "IfNotPresent" }] as never }), n));
    const never = await waitStatus(n, "never", "ErrImageNeverPull", (x) => cstatus(x, "c")?.state?.waiting?.reason === "ErrImageNeverPull");
    assert.equal(never.status?.phase, "Pending");
    // Every status written, not only the latest: a state may last less than a poll.
    const reasons = () => new Set(n.api.statusWrites.filter((w) => w.pod === "default/pull").map((w) => w.status.containerStatuses[0]?.state?.waiting?.reason));
    await eventually("ErrImagePull and ImagePullBackOff", async () => (reasons().has("ErrImagePull") && reasons().has("ImagePullBackOff") ? true : undefined), 40_000);
    assert.ok(n.api.eventsFor("default/pull", "Failed").length > 0);
  });

  test("a dead sandbox is re-created with the pod's containers", async () => {
    const n = startNode();
    const pod = bound(makePod("sb", { containers: [{ name: "c", image: BUSYBOX, command: ["sleep", "3600"] }] as never }), n);
    n.api.create(pod);
    const p1 = await waitStatus(n, "sb", "Running", (x) => x.status?.phase === "Running" && !!cstatus(x, "c")?.state?.running);
    const ids = await podContainers(pod.metadata?.uid ?? "");
    const sandbox = ids.find((id) => !cstatus(p1, "c")?.containerId.endsWith(id));
    assert.ok(sandbox);
    await docker(["kill", sandbox]);
    const p2 = await waitStatus(n, "sb", "restarted in a new sandbox", (x) => (cstatus(x, "c")?.restartCount ?? 0) >= 1 && !!cstatus(x, "c")?.state?.running);
    assert.notEqual(cstatus(p2, "c")?.containerId, cstatus(p1, "c")?.containerId);
    assert.ok(n.api.eventsFor("default/sb", "SandboxChanged").length >= 1);
  });

  test("probes: failing liveness restarts, failing readiness makes the pod not Ready", async () => {
    const n = startNode();
    n.api.create(
      bound(
        makePod("probes", {
          containers: [
            {
              name: "live",
              image: WEB,
              // Healthy for its first three seconds, then the liveness probe fails.
              command: ["sh", "-c", "touch /tmp/alive; (sleep 3; rm /tmp/alive) & exec sh /start.sh"],
              livenessProbe: { exec: { command: ["cat", "/tmp/alive"] }, periodSeconds: 1, failureThreshold: 1 },
            },
            {
              name: "ready",
              image: WEB,
              env: [{ name: "PORT", value: "8081" }],
              readinessProbe: { httpGet: { path: "/missing", port: "8081", host: "", scheme: "", httpHeaders: [] }, periodSeconds: 1 },
              livenessProbe: { tcpSocket: { port: "8081", host: "" }, periodSeconds: 1 },
            },
          ] as never,
        }),
        n,
      ),
    );
    const p = await waitStatus(n, "probes", "liveness restart", (x) => (cstatus(x, "live")?.restartCount ?? 0) >= 1, 30_000);
    assert.equal(p.status?.conditions.find((c) => c.type === "Ready")?.status, "False");
    assert.equal(cstatus(p, "ready")?.ready, false);
    assert.ok(cstatus(p, "ready")?.state?.running, "the tcpSocket liveness probe passes");
    assert.equal(cstatus(p, "ready")?.restartCount, 0);
    const unhealthy = n.api.eventsFor("default/probes", "Unhealthy").map((e) => e.message);
    assert.ok(unhealthy.some((m) => m.startsWith("Liveness probe failed")), unhealthy.join("\n"));
    assert.ok(unhealthy.some((m) => m.startsWith("Readiness probe failed: HTTP probe failed with statuscode: 404")), unhealthy.join("\n"));
  });

  test("a startup probe holds liveness and readiness until it passes", async () => {
    const n = startNode();
    n.api.create(
      bound(
        makePod("slow", {
          containers: [
            {
              name: "c",
              image: BUSYBOX,
              // Becomes "started" after about 3 s.
              command: ["sh", "-c", "sleep 3; touch /tmp/started; exec sleep 3600"],
              // Generous timeouts: a loaded machine's `docker exec` can take longer than the 1 s default.
              startupProbe: { exec: { command: ["cat", "/tmp/started"] }, periodSeconds: 1, failureThreshold: 60, timeoutSeconds: 10 },
              livenessProbe: { exec: { command: ["cat", "/tmp/started"] }, periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 10 },
              readinessProbe: { exec: { command: ["true"] }, periodSeconds: 1, timeoutSeconds: 10 },
            },
          ] as never,
        }),
        n,
      ),
    );
    const early = await waitStatus(n, "slow", "running, not yet started", (x) => !!cstatus(x, "c")?.state?.running);
    assert.equal(cstatus(early, "c")?.started, false);
    assert.equal(cstatus(early, "c")?.ready, false);
    const p = await waitStatus(n, "slow", "started and ready", (x) => cstatus(x, "c")?.ready === true, 60_000);
    assert.equal(cstatus(p, "c")?.started, true);
    assert.equal(cstatus(p, "c")?.restartCount, 0, "liveness did not run before the startup probe passed");
  });

  test("init containers run in order to success before the app; a failed one fails a Never pod", async () => {
    const n = startNode();
    n.api.create(
      bound(
        makePod("init", {
          volumes: [{ name: "work", emptyDir: { medium: "", sizeLimit: "" } }],
          initContainers: [
            { name: "first", image: BUSYBOX, command: ["sh", "-c", "sleep 1; echo one > /work/order"], volumeMounts: [{ name: "work", mountPath: "/work" }] },
            { name: "second", image: BUSYBOX, command: ["sh", "-c", "echo two >> /work/order"], volumeMounts: [{ name: "work", mountPath: "/work" }] },
          ],
          containers: [{ name: "app", image: BUSYBOX, command: ["sh", "-c", "cat /work/order; exec sleep 3600"], volumeMounts: [{ name: "work", mountPath: "/work" }] }],
        } as never),
        n,
      ),
    );
    n.api.create(
      bound(
        makePod("init-fails", {
          restartPolicy: "Never",
          initContainers: [{ name: "bad", image: BUSYBOX, command: ["sh", "-c", "exit 4"] }],
          containers: [{ name: "app", image: BUSYBOX, command: ["sleep", "3600"] }],
        } as never),
        n,
      ),
    );
    const seenInitializing = await waitStatus(n, "init", "initializing", (x) => x.status?.conditions.find((c) => c.type === "Initialized")?.status === "False");
    assert.equal(seenInitializing.status?.phase, "Pending");
    assert.equal(cstatus(seenInitializing, "app")?.state?.waiting?.reason, "PodInitializing");
    const p = await waitStatus(n, "init", "Running after the init containers", (x) => x.status?.phase === "Running");
    assert.deepEqual(p.status?.initContainerStatuses.map((s) => [s.name, s.state?.terminated?.reason, s.ready]), [
      ["first", "Completed", true],
      ["second", "Completed", true],
    ]);
    assert.equal(p.status?.conditions.find((c) => c.type === "Initialized")?.status, "True");
    // "Running" is reported once the container started; its `cat` may not have written yet.
    const appId = cstatus(p, "app")?.containerId.replace("docker://", "") ?? "";
    const output = await eventually("the app container's output", async () => {
      const frames: string[] = [];
      for await (const f of rt.logs(appId, { follow: false, timestamps: false })) frames.push(f.data.toString());
      return frames.join("") || undefined;
    }, 15_000, { everyMs: 200 });
    assert.equal(output, "one\ntwo\n");
    const failed = await waitStatus(n, "init-fails", "Failed", (x) => x.status?.phase === "Failed");
    assert.equal(failed.status?.initContainerStatuses[0]?.state?.terminated?.exitCode, 4);
    assert.equal(cstatus(failed, "app")?.state?.waiting?.reason, "PodInitializing");
  });
});
