// The runtime layer against the real Docker engine: a pod translated by pod-spec.ts and created by
// DockerRuntime shows every setting in `docker inspect`, serves on the node IP and hostPort, and
// shares its emptyDir between containers.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DockerRuntime } from "@mk/kubelet/runtime/docker.js";
import { LABEL_CONTAINER_NAME, LABEL_NODE_NAME, LABEL_POD_UID } from "@mk/kubelet/runtime/names.js";
import { appContainerConfig, type NodeSettings, PodConfigError, sandboxConfig } from "@mk/kubelet/runtime/pod-spec.js";
import { ImageNeverPullError, ImagePullError, type OutputFrame } from "@mk/kubelet/runtime/runtime.js";
import { prepareVolumes, removePodVolumes } from "@mk/kubelet/runtime/volumes.js";
import { docker } from "../../harness/docker.js";
import { BUSYBOX, cleanupNode, freePort, inspect, makePod, PAUSE, uniqueNode, WEB } from "./fixtures.js";
import { eventually } from "../../harness/wait.js";

const rt = new DockerRuntime();
const nodeName = uniqueNode("rt");
const node: NodeSettings = { nodeName, clusterId: "runtime-test", nodeIp: "127.0.0.1", podInfraImage: PAUSE, allowPrivileged: false };
const cleanups: (() => Promise<void>)[] = [];

after(async () => {
  await cleanupNode(nodeName);
  for (const c of cleanups) await c();
});

function text(frames: OutputFrame[], stream: "stdout" | "stderr" = "stdout"): string {
  return Buffer.concat(frames.filter((f) => f.stream === stream).map((f) => f.data)).toString();
}

test("a pod's sandbox and containers carry every setting of the spec", async () => {
  const hostDir = await mkdtemp(join(tmpdir(), "mk-hostpath-"));
  cleanups.push(() => rm(hostDir, { recursive: true, force: true }));
  await writeFile(join(hostDir, "from-host"), "hello from the host\n");
  const hostPort = await freePort();
  const pod = makePod("web-1", {
    volumes: [
      { name: "shared", emptyDir: { medium: "", sizeLimit: "" } },
      { name: "host", hostPath: { path: hostDir, type: "Directory" } },
    ],
    containers: [
      {
        name: "web",
        image: WEB,
        imagePullPolicy: "Never",
        env: [{ name: "GREETING", value: "hi there" }],
        ports: [{ name: "http", containerPort: 8080, hostPort, protocol: "TCP", hostIp: "" }],
        resources: { limits: { memory: "64Mi", cpu: "500m" }, requests: {} },
        volumeMounts: [
          { name: "shared", mountPath: "/shared", readOnly: false, subPath: "" },
          { name: "host", mountPath: "/host", readOnly: true, subPath: "" },
        ],
      },
      {
        name: "writer",
        image: BUSYBOX,
        imagePullPolicy: "IfNotPresent",
        command: ["sh", "-c"],
        args: ['echo "$GREETING" > /shared/greeting; echo started; exec sleep 3600'],
        workingDir: "/shared",
        env: [{ name: "GREETING", value: "written by writer" }],
        volumeMounts: [{ name: "shared", mountPath: "/shared", readOnly: false, subPath: "" }],
      },
    ].map((c) => ({ command: [], args: [], workingDir: "", ports: [], ...c })) as never,
  });
  await prepareVolumes(rt, pod, node);
  const pullEvents: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    const r = await rt.ensureImage(c.image, "IfNotPresent", (p) => pullEvents.push(p.status));
    assert.equal(r.pulled, false, "offline images are present and not pulled");
    assert.match(r.imageId, /^sha256:/);
  }
  const sandboxId = await rt.createContainer(sandboxConfig(pod, node, 0));
  await rt.startContainer(sandboxId);
  const ids: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    const id = await rt.createContainer(appContainerConfig(pod, c, node, sandboxId, 0));
    await rt.startContainer(id);
    ids.push(id);
  }
  const [webId = "", writerId = ""] = ids;

  // The sandbox: pod name, init, hostPort published on the node IP.
  const sb = await inspect(sandboxId);
  assert.equal(sb.Name, `/mk_POD_web-1_default_${pod.metadata?.uid.replace(/-/g, "").slice(0, 8)}_0`);
  assert.equal(sb.HostConfig.Init, true);
  assert.equal(sb.HostConfig.NetworkMode, "bridge");
  assert.deepEqual(sb.HostConfig.PortBindings?.["8080/tcp"], [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }]);
  assert.equal(sb.Config.Labels[LABEL_POD_UID], pod.metadata?.uid);
  assert.equal(sb.Config.Labels[LABEL_NODE_NAME], nodeName);

  // The web container: joined to the sandbox, env, limits, mounts.
  const web = await inspect(webId);
  assert.match(web.Name, /^\/mk_web_web-1_default_[0-9a-f]{8}_0$/);
  assert.equal(web.HostConfig.NetworkMode, `container:${sandboxId}`);
  assert.equal(web.HostConfig.Init, true);
  assert.equal(web.HostConfig.Memory, 64 * 1024 * 1024);
  assert.equal(web.HostConfig.NanoCpus, 500_000_000);
  assert.ok(web.Config.Env.includes("GREETING=hi there"));
  assert.equal(web.Config.Labels[LABEL_CONTAINER_NAME], "web");
  const mounts = web.HostConfig.Mounts ?? [];
  assert.deepEqual(
    mounts.map((m) => [m.Type, m.Target, m.ReadOnly ?? false]),
    [
      ["volume", "/shared", false],
      ["bind", "/host", true],
    ],
  );
  assert.equal(mounts[1]?.Source, hostDir);

  // The writer: command → Entrypoint, args → Cmd, workingDir.
  const writer = await inspect(writerId);
  assert.deepEqual(writer.Config.Entrypoint, ["sh", "-c"]);
  assert.deepEqual(writer.Config.Cmd, ['echo "$GREETING" > /shared/greeting; echo started; exec sleep 3600']);
  assert.equal(writer.Config.WorkingDir, "/shared");

  // The web server answers on the node IP and hostPort.
  const body = await eventually("web answers on the hostPort", async () => {
    const res = await fetch(`http://127.0.0.1:${hostPort}/healthz`);
    return res.ok ? await res.text() : undefined;
  }, 30_000);
  assert.match(body, /ok/);

  // Exec in web sees its env, the file the writer put in the shared emptyDir, and the hostPath file.
  const frames: OutputFrame[] = [];
  const r = await rt.exec(webId, ["sh", "-c", 'echo "$GREETING"; cat /shared/greeting /host/from-host; echo oops >&2; exit 3'], (f) => frames.push(f));
  assert.equal(r.exitCode, 3);
  assert.equal(text(frames), "hi there\nwritten by writer\nhello from the host\n");
  assert.equal(text(frames, "stderr"), "oops\n");

  // Logs: non-follow (one multiplexed buffer), with tail.
  const logs: OutputFrame[] = [];
  for await (const f of rt.logs(writerId, { follow: false, timestamps: false, tail: 10 })) logs.push(f);
  assert.equal(text(logs), "started\n");

  // Listing by labels finds exactly the pod's three containers.
  const listed = await rt.listContainers({ [LABEL_POD_UID]: pod.metadata?.uid ?? "" });
  assert.equal(listed.length, 3);

  // Stop: SIGTERM reaches the app through the init process, well within the grace period.
  const t0 = Date.now();
  await rt.stopContainer(webId, 10);
  assert.ok(Date.now() - t0 < 5_000, `web stopped in ${Date.now() - t0} ms`);
  const stopped = await rt.inspectContainer(webId);
  assert.equal(stopped?.running, false);
  assert.equal(stopped?.exitCode, 0);
  for (const id of [writerId, webId, sandboxId]) await rt.removeContainer(id);
  await removePodVolumes(rt, pod.metadata?.uid ?? "", node);
  assert.equal((await rt.listVolumes({ [LABEL_POD_UID]: pod.metadata?.uid ?? "" })).length, 0);
  assert.equal(await rt.inspectContainer(webId), undefined);
  await rt.stopContainer(webId, 1); // gone: fine
  await rt.removeContainer(webId);
});

test("image policies: Never on a missing image, and no pull without a registry host", async () => {
  await assert.rejects(rt.ensureImage("mk/does-not-exist:1", "Never"), ImageNeverPullError);
  await assert.rejects(rt.ensureImage("mk/does-not-exist:1", "IfNotPresent"), (err: unknown) => {
    assert.ok(err instanceof ImagePullError);
    assert.match(err.message, /Docker Hub/);
    return true;
  });
  // A registry host that nothing listens on: the engine's pull fails, mapped to ErrImagePull.
  const port = await freePort();
  await assert.rejects(rt.ensureImage(`127.0.0.1:${port}/mk/none:1`, "Always"), ImagePullError);
});

test("privileged containers are refused where the node does not allow them", () => {
  const pod = makePod("priv", {
    containers: [{ name: "c", image: BUSYBOX, securityContext: { privileged: true, capabilities: undefined } } as never],
  });
  const c = pod.spec?.containers[0];
  assert.ok(c);
  assert.throws(() => appContainerConfig(pod, c, node, "x", 0), PodConfigError);
});

test("hostNetwork pods and persistent claims", async () => {
  const pod = makePod("claim", {
    hostNetwork: true,
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: `c-${nodeName}`, readOnly: false } } as never],
    containers: [
      { name: "c", image: BUSYBOX, command: ["sh", "-c", "echo kept > /data/f; sleep 3600"], volumeMounts: [{ name: "data", mountPath: "/data" }] } as never,
    ],
  });
  const volName = `mk-pv_default_c-${nodeName}`;
  cleanups.push(async () => {
    await rt.removeVolume(volName);
  });
  await prepareVolumes(rt, pod, node);
  const sb = await rt.createContainer(sandboxConfig(pod, node, 0));
  const c = pod.spec?.containers[0];
  assert.ok(c);
  const id = await rt.createContainer(appContainerConfig(pod, c, node, sb, 0));
  await rt.startContainer(sb);
  await rt.startContainer(id);
  const i = await inspect(id);
  assert.equal(i.HostConfig.NetworkMode, "host");
  assert.equal(i.HostConfig.Mounts?.[0]?.Source, volName);
  await rt.removeContainer(id);
  await rt.removeContainer(sb);
  await removePodVolumes(rt, pod.metadata?.uid ?? "", node);
  // The claim's volume outlives the pod.
  assert.equal((await rt.listVolumes({ "io.mk.volume.claim": `c-${nodeName}` })).length, 1);
});

test("securityContext: runAsUser, capabilities, readOnlyRootFilesystem", async () => {
  const pod = makePod("sec", {
    containers: [
      {
        name: "c",
        image: BUSYBOX,
        command: ["sleep", "3600"],
        securityContext: { runAsUser: 1000, runAsGroup: 1000, capabilities: { add: ["NET_ADMIN"], drop: ["CHOWN"] }, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
      } as never,
    ],
  });
  const sb = await rt.createContainer(sandboxConfig(pod, node, 0));
  await rt.startContainer(sb);
  const c = pod.spec?.containers[0];
  assert.ok(c);
  const id = await rt.createContainer(appContainerConfig(pod, c, node, sb, 0));
  await rt.startContainer(id);
  const i = await inspect(id);
  assert.equal(i.Config.User, "1000:1000");
  assert.deepEqual(i.HostConfig.CapAdd, ["NET_ADMIN"]);
  assert.deepEqual(i.HostConfig.CapDrop, ["CHOWN"]);
  assert.equal(i.HostConfig.ReadonlyRootfs, true);
  assert.equal(i.HostConfig.Privileged, false);
  const frames: OutputFrame[] = [];
  const r = await rt.exec(id, ["sh", "-c", "id -u; touch /x 2>/dev/null && echo writable || echo read-only"], (f) => frames.push(f));
  assert.equal(r.exitCode, 0);
  assert.equal(text(frames), "1000\nread-only\n");
  await rt.removeContainer(id);
  await rt.removeContainer(sb);
});

test("pulls from a local registry with progress; Always pulls again, a missing tag is ErrImagePull", async () => {
  const { startRegistry } = await import("./registry.js");
  const reg = await startRegistry();
  const ref = `${reg.host}/mk/busybox:pull-${nodeName}`;
  try {
    await docker(["tag", BUSYBOX, ref]);
    await docker(["push", ref], { timeoutMs: 60_000 });
    await docker(["rmi", ref]);
    const progress: string[] = [];
    const r = await rt.ensureImage(ref, "IfNotPresent", (p) => progress.push(p.status));
    assert.equal(r.pulled, true);
    assert.ok(progress.length > 0, "pull progress reported");
    assert.equal((await rt.ensureImage(ref, "IfNotPresent")).pulled, false, "present: not pulled again");
    assert.equal((await rt.ensureImage(ref, "Always")).pulled, true, "Always: pulled again");
    await assert.rejects(rt.ensureImage(`${reg.host}/mk/busybox:missing`, "IfNotPresent"), ImagePullError);
  } finally {
    await docker(["rmi", ref]).catch(() => undefined);
    await reg.stop();
  }
});
