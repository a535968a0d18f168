// Container lifecycle hooks with a real kubelet on Docker against an in-process API server: a postStart
// exec hook runs before the container is reported Running (its file is there when the status says
// Running, and the main process prints it); a preStop exec or sleep hook runs before the stop signal
// (markers in a hostPath directory: the hook's, then the container's SIGTERM trap's, each with the
// kernel's uptime, which host and containers share); a preStop httpGet reaches a busybox httpd in the
// pod by a named port, with its header; a failing postStart kills the container with a
// FailedPostStartHook event.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Container, emptyMeta, type Pod } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { Kubelet } from "@mk/kubelet/kubelet.js";
import { DockerRuntime } from "@mk/kubelet/runtime/docker.js";
import { pino } from "pino";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { docker } from "../../harness/docker.js";
import { eventually } from "../../harness/wait.js";
import { BUSYBOX, cleanupNode, makePod, testKubeletOptions, uniqueNode } from "./fixtures.js";

const nodeName = uniqueNode("hooks");
let api: TestApiServer;
let cs: Clientset;
let kubelet: Kubelet;
let rootDir: string;
/** hostPath directory the pods write their markers into. */
let hostDir: string;

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address });
  rootDir = await mkdtemp(join(tmpdir(), "mk-kubelet-root-"));
  hostDir = await mkdtemp(join(tmpdir(), "mk-hooks-"));
  kubelet = new Kubelet(
    cs,
    new DockerRuntime(),
    testKubeletOptions(nodeName, api.address, { rootDir }),
    pino({ level: "warn" }),
  );
  await kubelet.start();
});

after(async () => {
  await kubelet?.stop();
  await cleanupNode(nodeName);
  cs?.close();
  await api?.stop();
  await rm(rootDir, { recursive: true, force: true });
  await rm(hostDir, { recursive: true, force: true });
});

async function createPod(pod: Pod): Promise<Pod> {
  pod.metadata = emptyMeta({ name: pod.metadata?.name ?? "", namespace: "default" });
  const created = await cs.pods.create(pod);
  await cs.bind("default", created.metadata?.name ?? "", nodeName);
  return created;
}

const isRunning = (p: Pod) => p.status?.phase === "Running" && (p.status.containerStatuses ?? []).every((s) => s.state?.running);

async function waitRunning(name: string): Promise<Pod> {
  return await eventually(
    `${name} running`,
    async () => {
      const p = await cs.pods.get(name, "default");
      return isRunning(p) ? p : undefined;
    },
    90_000,
    { everyMs: 250 },
  );
}

async function waitGone(name: string): Promise<void> {
  await eventually(
    `${name} deleted`,
    async () => {
      try {
        await cs.pods.get(name, "default");
        return undefined;
      } catch {
        return true;
      }
    },
    90_000,
    { everyMs: 250 },
  );
}

/** The pod's one app container's id, running or not. */
async function appContainer(name: string): Promise<string> {
  const p = await cs.pods.get(name, "default");
  const id = (p.status?.containerStatuses[0]?.containerId ?? "").replace(/^docker:\/\//, "");
  assert.ok(id, `${name} has a container`);
  return id;
}

/** A subdirectory of hostDir for one pod, mounted at /data. */
function dataDir(pod: string): { dir: string; volume: { name: string; hostPath: { path: string; type: string } }; mount: { name: string; mountPath: string; readOnly: boolean; subPath: string } } {
  const dir = join(hostDir, pod);
  return { dir, volume: { name: "data", hostPath: { path: dir, type: "DirectoryOrCreate" } }, mount: { name: "data", mountPath: "/data", readOnly: false, subPath: "" } };
}

/** Marker lines "<what> <uptime seconds>" written by the pods; [] while the file is absent. */
async function markers(dir: string): Promise<{ what: string; at: number }[]> {
  const text = await readFile(join(dir, "log"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [what = "", at = "0"] = l.split(" ");
      return { what, at: Number(at) };
    });
}

/** The kernel's uptime in seconds, the clock the pods' markers use. */
async function uptime(): Promise<number> {
  return Number((await readFile("/proc/uptime", "utf8")).split(" ")[0]);
}

/** Appends "<what> <uptime>" to /data/log (shell). */
const mark = (what: string) => `read -r up _ < /proc/uptime; echo ${what} $up >> /data/log`;

/** A main process that marks its start and, on SIGTERM, marks it and exits. */
const trapping = `trap '${mark("term")}; exit 0' TERM; ${mark("started")}; while true; do sleep 0.1; done`;

test("postStart exec: the container is reported Running only once the hook is done; the main process prints its file", async () => {
  // The hook takes 3 s, then writes the file; the main process waits for it and prints it.
  await createPod(
    makePod("poststart", {
      containers: [
        Container.fromPartial({
          name: "app",
          image: BUSYBOX,
          imagePullPolicy: "IfNotPresent",
          command: ["sh", "-c", "while [ ! -f /tmp/greeting ]; do sleep 0.1; done; cat /tmp/greeting; sleep 3600"],
          lifecycle: { postStart: { exec: { command: ["sh", "-c", "sleep 3; echo hello from postStart > /tmp/greeting"] } } },
        }),
      ],
    }),
  );
  // Poll the status closely: the first time it says Running, the hook must have written the file.
  const first = await eventually(
    "poststart reported Running",
    async () => {
      const p = await cs.pods.get("poststart", "default");
      return isRunning(p) ? p : undefined;
    },
    90_000,
    { everyMs: 50 },
  );
  const id = (first.status?.containerStatuses[0]?.containerId ?? "").replace(/^docker:\/\//, "");
  assert.equal(await docker(["exec", id, "cat", "/tmp/greeting"]), "hello from postStart", "the hook had run when the pod was reported Running");
  await eventually("the main process printed the hook's file", async () => ((await docker(["logs", id])).includes("hello from postStart") ? true : undefined), 30_000, {
    everyMs: 250,
  });
  const events = (await cs.events.list({ namespace: "default" })).items.filter((e) => e.involvedObject?.name === "poststart");
  assert.ok(!events.some((e) => e.reason === "FailedPostStartHook"), "no failure reported");
  await cs.pods.delete("poststart", "default", { gracePeriodSeconds: 0 });
});

test("preStop exec runs before the stop signal, and its time comes out of the grace period", async () => {
  const { dir, volume, mount } = dataDir("prestop-exec");
  await createPod(
    makePod("prestop-exec", {
      terminationGracePeriodSeconds: 30,
      containers: [
        Container.fromPartial({
          name: "app",
          image: BUSYBOX,
          imagePullPolicy: "IfNotPresent",
          command: ["sh", "-c", trapping],
          volumeMounts: [mount],
          lifecycle: { preStop: { exec: { command: ["sh", "-c", `${mark("prestop-begin")}; sleep 3; ${mark("prestop-end")}`] } } },
        }),
      ],
      volumes: [volume],
    }),
  );
  await waitRunning("prestop-exec");
  await eventually("the container marked its start", async () => ((await markers(dir)).some((m) => m.what === "started") ? true : undefined), 30_000);
  const deletedAt = await uptime();
  await cs.pods.delete("prestop-exec", "default");
  await waitGone("prestop-exec");
  const m = await markers(dir);
  assert.deepEqual(
    m.map((x) => x.what),
    ["started", "prestop-begin", "prestop-end", "term"],
    "the hook ran to its end before SIGTERM",
  );
  const term = m.find((x) => x.what === "term")?.at ?? 0;
  const begin = m.find((x) => x.what === "prestop-begin")?.at ?? 0;
  assert.ok(term - begin >= 2.9, `SIGTERM came ${(term - begin).toFixed(2)} s after the hook began (it sleeps 3 s)`);
  assert.ok(term - deletedAt < 20, `and not after the whole grace period (${(term - deletedAt).toFixed(2)} s after the delete)`);
});

test("preStop sleep delays SIGTERM; a hook longer than the grace period is cut short", async () => {
  const { dir, volume, mount } = dataDir("prestop-sleep");
  await createPod(
    makePod("prestop-sleep", {
      terminationGracePeriodSeconds: 30,
      containers: [
        Container.fromPartial({
          name: "app",
          image: BUSYBOX,
          imagePullPolicy: "IfNotPresent",
          command: ["sh", "-c", trapping],
          volumeMounts: [mount],
          lifecycle: { preStop: { sleep: { seconds: 3 } } },
        }),
      ],
      volumes: [volume],
    }),
  );
  await waitRunning("prestop-sleep");
  await eventually("the container marked its start", async () => ((await markers(dir)).some((m) => m.what === "started") ? true : undefined), 30_000);
  const deletedAt = await uptime();
  await cs.pods.delete("prestop-sleep", "default");
  await waitGone("prestop-sleep");
  const term = (await markers(dir)).find((x) => x.what === "term")?.at;
  assert.ok(term !== undefined, "the container got SIGTERM");
  assert.ok(term - deletedAt >= 2.9, `SIGTERM came ${(term - deletedAt).toFixed(2)} s after the delete (the hook sleeps 3 s)`);

  // Grace period 2 s, a hook of 600 s: the kubelet stops waiting after 2 s, then gives the
  // container its minimum 2 s: the pod is gone in seconds, not minutes.
  const short = dataDir("prestop-long");
  await createPod(
    makePod("prestop-long", {
      terminationGracePeriodSeconds: 2,
      containers: [
        Container.fromPartial({
          name: "app",
          image: BUSYBOX,
          imagePullPolicy: "IfNotPresent",
          command: ["sh", "-c", trapping],
          volumeMounts: [short.mount],
          lifecycle: { preStop: { sleep: { seconds: 600 } } },
        }),
      ],
      volumes: [short.volume],
    }),
  );
  await waitRunning("prestop-long");
  await eventually("the container marked its start", async () => ((await markers(short.dir)).some((m) => m.what === "started") ? true : undefined), 30_000);
  const t0 = await uptime();
  await cs.pods.delete("prestop-long", "default");
  await waitGone("prestop-long");
  const longTerm = (await markers(short.dir)).find((x) => x.what === "term")?.at;
  assert.ok(longTerm !== undefined, "the container got SIGTERM");
  assert.ok(longTerm - t0 >= 1.9 && longTerm - t0 < 30, `SIGTERM ${(longTerm - t0).toFixed(2)} s after the delete: once the 2 s grace period was over`);
});

test("preStop httpGet reaches the pod's busybox httpd by a named port, with its header", async () => {
  const { dir, volume, mount } = dataDir("prestop-http");
  // A CGI script the hook calls: it marks the request with the header's value.
  const cgi = ["#!/bin/sh", mark("drain-$HTTP_X_REASON"), 'echo "Content-Type: text/plain"', "echo", "echo drained"].join("\\n");
  const script = `mkdir -p /www/cgi-bin && printf '${cgi}\\n' > /www/cgi-bin/drain && chmod +x /www/cgi-bin/drain && exec httpd -f -p 8080 -h /www`;
  await createPod(
    makePod("prestop-http", {
      terminationGracePeriodSeconds: 30,
      containers: [
        Container.fromPartial({
          name: "web",
          image: BUSYBOX,
          imagePullPolicy: "IfNotPresent",
          command: ["sh", "-c", script],
          ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
          volumeMounts: [mount],
          lifecycle: { preStop: { httpGet: { path: "/cgi-bin/drain", port: "http", host: "", scheme: "HTTP", httpHeaders: [{ name: "X-Reason", value: "shutdown" }] } } },
        }),
      ],
      volumes: [volume],
    }),
  );
  await waitRunning("prestop-http");
  const id = await appContainer("prestop-http");
  // Ready once httpd answers (from inside the pod). The script's headers end in LF alone, as busybox
  // CGI scripts' often do: Kubernetes' Go client accepts that, and so must the hook.
  await eventually("httpd answers", async () => ((await docker(["exec", id, "wget", "-qO-", "http://127.0.0.1:8080/cgi-bin/drain"]).catch(() => "")) === "drained" ? true : undefined), 30_000, {
    everyMs: 250,
  });
  const before = (await markers(dir)).length;
  await cs.pods.delete("prestop-http", "default");
  await waitGone("prestop-http");
  const m = (await markers(dir)).slice(before);
  assert.deepEqual(
    m.map((x) => x.what),
    ["drain-shutdown"],
    "the hook's request reached httpd, with its header",
  );
  const state = await docker(["inspect", "-f", "{{.State.Running}}", id]).catch(() => "removed");
  assert.notEqual(state, "true", "and the container was stopped after it");
});

test("a failing postStart kills the container, with a FailedPostStartHook event", async () => {
  await createPod(
    makePod("poststart-fails", {
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 2,
      containers: [
        Container.fromPartial({
          name: "app",
          image: BUSYBOX,
          imagePullPolicy: "IfNotPresent",
          command: ["sh", "-c", "sleep 3600"],
          lifecycle: { postStart: { exec: { command: ["sh", "-c", "echo no way >&2; exit 3"] } } },
        }),
      ],
    }),
  );
  const failed = await eventually(
    "poststart-fails failed",
    async () => {
      const p = await cs.pods.get("poststart-fails", "default");
      return p.status?.phase === "Failed" ? p : undefined;
    },
    90_000,
    { everyMs: 250 },
  );
  assert.ok(failed.status?.containerStatuses[0]?.state?.terminated, "the container was killed");
  const events = await eventually(
    "the FailedPostStartHook event",
    async () => {
      const all = (await cs.events.list({ namespace: "default" })).items.filter((e) => e.involvedObject?.name === "poststart-fails");
      return all.some((e) => e.reason === "FailedPostStartHook") ? all : undefined;
    },
    30_000,
  );
  const hook = events.find((e) => e.reason === "FailedPostStartHook");
  assert.equal(hook?.type, "Warning");
  assert.equal(hook?.message, "PostStartHook failed");
  assert.ok(
    events.some((e) => e.reason === "Killing" && e.message === "FailedPostStartHook"),
    "killed for it",
  );
  await cs.pods.delete("poststart-fails", "default", { gracePeriodSeconds: 0 });
});
