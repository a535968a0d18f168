// Shared pieces of the kubelet's integration tests: pods built in code, a node name unique to the
// test run (every container the kubelet makes carries it as a label), cleanup by that label and id.
import { randomUUID } from "node:crypto";
import { emptyMeta, Pod, type PodSpec } from "@mk/proto";
import type { KubeletOptions } from "@mk/kubelet/kubelet.js";
import { LABEL_NODE_NAME, LABEL_POD_UID, LABEL_VOLUME_KIND } from "@mk/kubelet/runtime/names.js";
import { containersByLabel, docker, RUN_ID, removeContainers } from "../../harness/docker.js";

export const PAUSE = "mk/pause:1";
export const BUSYBOX = "mk/busybox:1";
export const WEB = "mk/web:v1";

/** A node name no other test (or test process) uses. */
export function uniqueNode(prefix = "kt"): string {
  return `${prefix}-${RUN_ID}-${randomUUID().slice(0, 4)}`;
}

export function makePod(name: string, spec: Partial<PodSpec>, namespace = "default"): Pod {
  return Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: emptyMeta({ name, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString() }),
    spec: { restartPolicy: "Always", ...spec } as PodSpec,
  });
}

/** Removes every container the kubelet made for this node, by id, and the pods' emptyDir volumes. */
export async function cleanupNode(nodeName: string): Promise<void> {
  const ids = await containersByLabel(LABEL_NODE_NAME, nodeName);
  await removeContainers(ids);
  const vols = await docker(["volume", "ls", "-q", "--filter", `label=${LABEL_NODE_NAME}=${nodeName}`, "--filter", `label=${LABEL_VOLUME_KIND}=emptyDir`]);
  for (const v of vols.split("\n").filter((s) => s !== "")) {
    await docker(["volume", "rm", "-f", v]).catch(() => undefined);
  }
}

export async function podContainers(uid: string): Promise<string[]> {
  return await containersByLabel(LABEL_POD_UID, uid);
}

export interface Inspect {
  Id: string;
  Name: string;
  Config: { Env: string[]; Entrypoint: string[] | null; Cmd: string[] | null; WorkingDir: string; Labels: Record<string, string>; User: string };
  HostConfig: {
    NetworkMode: string;
    Init: boolean | null;
    Memory: number;
    NanoCpus: number;
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]> | null;
    Mounts: { Type: string; Source: string; Target: string; ReadOnly?: boolean }[] | null;
    CapAdd: string[] | null;
    CapDrop: string[] | null;
    ReadonlyRootfs: boolean;
    Privileged: boolean;
  };
  State: { Running: boolean; ExitCode: number; Status: string };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}

export async function inspect(id: string): Promise<Inspect> {
  const out = await docker(["inspect", id]);
  const arr = JSON.parse(out) as Inspect[];
  const first = arr[0];
  if (!first) throw new Error(`no such container ${id}`);
  return first;
}

/** A free TCP port on loopback (bound and released; small race, fine for tests). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const net = await import("node:net");
  return await new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** @deprecated import eventually from test/harness/wait.js (kept for tests written before the merge). */
export { eventually } from "../../harness/wait.js";

/**
 * A kubelet under test: the node on 127.0.0.1, no serving ports, no privileged pods, a 2 s lease and
 * resync; `extra` adds or overrides (rootDir, capacity, dns, podCidr …).
 */
export function testKubeletOptions(nodeName: string, clusterId: string, extra: Partial<KubeletOptions> = {}): KubeletOptions {
  return {
    nodeName,
    clusterId,
    nodeIp: "127.0.0.1",
    port: 0,
    healthzPort: -1,
    podInfraImage: PAUSE,
    allowPrivileged: false,
    leaseRenewMs: 2_000,
    labels: {},
    taints: [],
    resyncMs: 2_000,
    ...extra,
  };
}
