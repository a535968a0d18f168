// Pod → runtime translation: the pause (sandbox) container that holds the pod's network namespace
// and publishes its hostPorts on the node IP, one container per spec container joined to it, and
// the volumes they mount. Pure functions of the pod and the node's settings.
import { createHash } from "node:crypto";
import { type Container, cpuMillis, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, memoryBytes, type NodeAllocatable, type Pod, type Volume } from "@mk/proto";
import {
  claimVolumeName,
  configVolumeDir,
  resolvConfPath,
  containerName,
  defaultRootDir,
  emptyDirVolumeName,
  LABEL_ATTEMPT,
  LABEL_CONTAINER_NAME,
  LABEL_GRACE,
  LABEL_HASH,
  LABEL_TYPE,
  type PodIdentity,
  type NodeScope,
  podLabels,
  SANDBOX_NAME,
  WRITTEN_VOLUME_PLUGINS,
  type WrittenVolumeKind,
} from "./names.js";
import type { ContainerConfig, Mount, PortBinding, SecurityConfig } from "./runtime.js";

export interface NodeSettings extends NodeScope {
  nodeIp: string;
  podInfraImage: string;
  /** Whether privileged containers may run on this node (--allow-privileged). */
  allowPrivileged: boolean;
  /** The Docker network sandboxes join (the node's pod network); unset: the engine's default bridge. */
  podNetwork?: string | undefined;
  /** The kubelet's directory for pod files (--root-dir); defaultRootDir when unset. */
  rootDir?: string;
  /** The node's allocatable cpu and memory: the downward API's limits of a container without any. */
  allocatable?: NodeAllocatable;
  /**
   * Pod DNS: with it, the kubelet writes each pod's resolv.conf (dns/pod-resolv.ts) and binds it at
   * /etc/resolv.conf in every container; unset (unit tests of the pod loop): Docker's own file.
   */
  dns?: KubeletDns | undefined;
}

export interface KubeletDns {
  /** --cluster-dns: the cluster DNS Service's address(es); empty: ClusterFirst falls back to Default. */
  clusterDns: string[];
  /** --cluster-domain (default cluster.local). */
  clusterDomain: string;
  /** --resolv-conf: the node's resolvers for dnsPolicy Default (and the host's search domains). */
  resolvConf: string;
}

export function rootDirOf(node: NodeSettings): string {
  return node.rootDir ?? defaultRootDir(node);
}

/**
 * A pod spec the node cannot run as given (Kubernetes' CreateContainerConfigError): an unknown
 * volume, a privileged container on a node that forbids it, a bad quantity.
 */
export class PodConfigError extends Error {
  readonly reason = "CreateContainerConfigError";
  constructor(message: string) {
    super(message);
    this.name = "PodConfigError";
  }
}

export function podIdentity(pod: Pod): PodIdentity {
  const m = pod.metadata;
  return { uid: m?.uid ?? "", name: m?.name ?? "", namespace: m?.namespace || "default" };
}

export function graceSeconds(pod: Pod): number {
  const g = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds;
  return g === undefined ? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS : Number(g);
}

/** A hash of what the container runs: a running container whose hash differs is replaced. */
export function containerHash(c: Container): string {
  const relevant = {
    image: c.image,
    command: c.command,
    args: c.args,
    workingDir: c.workingDir,
    env: c.env,
    // Only when set, so that the hash of a container without envFrom stays what it was before envFrom existed.
    ...(c.envFrom.length > 0 ? { envFrom: c.envFrom } : {}),
    ports: c.ports,
    resources: c.resources,
    volumeMounts: c.volumeMounts,
    securityContext: c.securityContext,
  };
  return createHash("sha256").update(JSON.stringify(relevant)).digest("hex").slice(0, 16);
}

function hostPorts(pod: Pod, nodeIp: string): PortBinding[] {
  const out: PortBinding[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports) {
      const protocol = (p.protocol || "TCP").toLowerCase();
      if (protocol !== "tcp" && protocol !== "udp" && protocol !== "sctp") continue;
      out.push({ containerPort: p.containerPort, protocol, hostIp: p.hostIp || nodeIp, hostPort: p.hostPort });
    }
  }
  return out;
}

export function sandboxConfig(pod: Pod, node: NodeSettings, attempt: number): ContainerConfig {
  const id = podIdentity(pod);
  const hostNetwork = pod.spec?.hostNetwork ?? false;
  const ports = hostPorts(pod, node.nodeIp);
  return {
    name: containerName(SANDBOX_NAME, id, attempt),
    image: node.podInfraImage,
    labels: {
      ...podLabels(id, node),
      [LABEL_CONTAINER_NAME]: SANDBOX_NAME,
      [LABEL_TYPE]: "sandbox",
      [LABEL_ATTEMPT]: String(attempt),
      [LABEL_GRACE]: String(graceSeconds(pod)),
    },
    env: [],
    hostname: (pod.spec?.hostname || id.name).slice(0, 63),
    network: hostNetwork ? { mode: "host", portBindings: ports } : { mode: "bridge", ...(node.podNetwork ? { network: node.podNetwork } : {}), portBindings: ports },
    nanoCpus: 0,
    memoryBytes: 0,
    mounts: [],
    security: { capAdd: [], capDrop: [], privileged: false, readOnlyRootFilesystem: false, noNewPrivileges: false },
    init: true,
  };
}

export interface VolumePlan {
  name: string;
  kind: "emptyDir" | "hostPath" | "claim" | WrittenVolumeKind;
  /** Docker volume name (emptyDir, claim) or host path (hostPath and the volumes the kubelet writes). */
  source: string;
  /** emptyDir medium Memory: a tmpfs-backed volume shared by the pod's containers. */
  memory: boolean;
  /** hostPath type: "", DirectoryOrCreate, Directory, FileOrCreate, File. */
  hostPathType: string;
  readOnly: boolean;
}

export function planVolume(pod: Pod, v: Volume, node: NodeSettings): VolumePlan {
  const id = podIdentity(pod);
  // configMap, secret, downwardAPI and projected volumes are directories the kubelet writes
  // (config/volumes.ts), bound read-only: a container never changes what the API holds.
  for (const kind of Object.keys(WRITTEN_VOLUME_PLUGINS) as WrittenVolumeKind[]) {
    if (v[kind]) return { name: v.name, kind, source: configVolumeDir(rootDirOf(node), id.uid, kind, v.name), memory: false, hostPathType: "", readOnly: true };
  }
  if (v.hostPath) {
    return { name: v.name, kind: "hostPath", source: v.hostPath.path, memory: false, hostPathType: v.hostPath.type, readOnly: false };
  }
  if (v.persistentVolumeClaim) {
    return {
      name: v.name,
      kind: "claim",
      source: claimVolumeName(id.namespace, v.persistentVolumeClaim.claimName),
      memory: false,
      hostPathType: "",
      readOnly: v.persistentVolumeClaim.readOnly,
    };
  }
  if (v.emptyDir) {
    return { name: v.name, kind: "emptyDir", source: emptyDirVolumeName(id.uid, v.name), memory: v.emptyDir.medium === "Memory", hostPathType: "", readOnly: false };
  }
  throw new PodConfigError(`volume "${v.name}" has no supported source (emptyDir, hostPath, persistentVolumeClaim, configMap, secret, downwardAPI, projected)`);
}

function mounts(pod: Pod, c: Container, node: NodeSettings): Mount[] {
  const plans = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  return c.volumeMounts.map((vm) => {
    const v = plans.get(vm.name);
    if (!v) throw new PodConfigError(`container "${c.name}": volume mount "${vm.name}" names no volume of the pod`);
    const plan = planVolume(pod, v, node);
    const readOnly = vm.readOnly || plan.readOnly;
    if (plan.kind !== "emptyDir" && plan.kind !== "claim") {
      const source = vm.subPath ? `${plan.source.replace(/\/$/, "")}/${vm.subPath}` : plan.source;
      return { type: "bind", source, target: vm.mountPath, readOnly };
    }
    if (vm.subPath) throw new PodConfigError(`container "${c.name}": subPath is supported on hostPath, configMap, secret, downwardAPI and projected volumes only`);
    return { type: "volume", source: plan.source, target: vm.mountPath, readOnly };
  });
}

function security(c: Container, node: NodeSettings): SecurityConfig {
  const sc = c.securityContext;
  const privileged = sc?.privileged ?? false;
  if (privileged && !node.allowPrivileged) {
    throw new PodConfigError(`container "${c.name}": privileged containers are not allowed on node ${node.nodeName}`);
  }
  if (sc?.runAsNonRoot && sc.runAsUser !== undefined && Number(sc.runAsUser) === 0) {
    throw new PodConfigError(`container "${c.name}": runAsNonRoot is set but runAsUser is 0`);
  }
  const out: SecurityConfig = {
    capAdd: sc?.capabilities?.add ?? [],
    capDrop: sc?.capabilities?.drop ?? [],
    privileged,
    readOnlyRootFilesystem: sc?.readOnlyRootFilesystem ?? false,
    noNewPrivileges: sc?.allowPrivilegeEscalation === false,
  };
  if (sc?.runAsUser !== undefined) {
    out.user = sc.runAsGroup !== undefined ? `${sc.runAsUser}:${sc.runAsGroup}` : String(sc.runAsUser);
  } else if (sc?.runAsGroup !== undefined) {
    throw new PodConfigError(`container "${c.name}": runAsGroup needs runAsUser`);
  }
  return out;
}

function limit(c: Container, resource: string, parse: (q: string) => number): number {
  const q = c.resources?.limits[resource];
  if (!q) return 0;
  try {
    return parse(q);
  } catch (err) {
    throw new PodConfigError(`container "${c.name}": limits.${resource}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The pod's resolv.conf at /etc/resolv.conf (read-only with a read-only root filesystem, as CRI runtimes do). */
function resolvConfMount(pod: Pod, c: Container, node: NodeSettings): Mount[] {
  if (!node.dns || c.volumeMounts.some((vm) => vm.mountPath === "/etc/resolv.conf")) return [];
  return [{ type: "bind", source: resolvConfPath(rootDirOf(node), podIdentity(pod).uid), target: "/etc/resolv.conf", readOnly: c.securityContext?.readOnlyRootFilesystem ?? false }];
}

/** The environment of a container whose variables are all literal values. */
export function literalEnv(c: Container): string[] {
  if (c.envFrom.length > 0 || c.env.some((e) => e.valueFrom)) {
    throw new Error(`container "${c.name}": its environment refers to ConfigMaps or Secrets and must be resolved first`);
  }
  return c.env.map((e) => `${e.name}=${e.value}`);
}

/**
 * The container's runtime config. `env` is the resolved environment (config/env.ts: literal values,
 * ConfigMap and Secret keys); the container hash covers the spec, not the values, so a changed
 * ConfigMap never restarts a container (as in Kubernetes).
 */
export function appContainerConfig(pod: Pod, c: Container, node: NodeSettings, sandboxId: string, attempt: number, env = literalEnv(c)): ContainerConfig {
  const id = podIdentity(pod);
  const hostNetwork = pod.spec?.hostNetwork ?? false;
  const cfg: ContainerConfig = {
    name: containerName(c.name, id, attempt),
    image: c.image,
    labels: {
      ...podLabels(id, node),
      [LABEL_CONTAINER_NAME]: c.name,
      [LABEL_TYPE]: "container",
      [LABEL_ATTEMPT]: String(attempt),
      [LABEL_HASH]: containerHash(c),
      [LABEL_GRACE]: String(graceSeconds(pod)),
    },
    env,
    network: hostNetwork ? { mode: "host", portBindings: [] } : { mode: "container", containerId: sandboxId },
    // 500m → 500 millicores → 500_000_000 NanoCpus (billionths of a CPU).
    nanoCpus: limit(c, "cpu", (q) => cpuMillis(q) * 1_000_000),
    memoryBytes: limit(c, "memory", memoryBytes),
    mounts: [...mounts(pod, c, node), ...resolvConfMount(pod, c, node)],
    security: security(c, node),
    init: true,
  };
  // Kubernetes: command replaces ENTRYPOINT (and then the image's CMD is dropped), args replace CMD.
  if (c.command.length > 0) {
    cfg.entrypoint = c.command;
    cfg.cmd = c.args;
  } else if (c.args.length > 0) {
    cfg.cmd = c.args;
  }
  if (c.workingDir) cfg.workingDir = c.workingDir;
  if (hostNetwork) cfg.hostname = "";
  return cfg;
}
