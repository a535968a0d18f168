// The Node object: registered at start (create, or adopt the existing one: labels refreshed, taints
// kept as they are, as Kubernetes' kubelet does), then its status — capacity, addresses, conditions,
// system info, the kubelet's endpoint — posted when it changes and at least every reportMs.
import { emptyMeta, Node, type NodeCondition, type NodeStatus, type Taint } from "@mk/proto";
import { type Clientset, isAlreadyExists, retryOnConflict } from "@mk/proto/client";
import type { Logger } from "pino";
import type { ContainerRuntime } from "../runtime/runtime.js";
import { architecture, type Capacity, hostPressure, kernelVersion, machineIds, osImage, type Pressure } from "./host.js";

export const KUBELET_VERSION = "v1.30.0-mk";

export interface NodeConfig {
  nodeName: string;
  nodeIp: string;
  port: number;
  capacity: Capacity;
  /** Subtracted from capacity for allocatable (Kubernetes' system/kube reserved). */
  reserved?: Partial<Capacity>;
  labels: Record<string, string>;
  taints: Taint[];
  /** The pod network's state (NetworkUnavailable, and Ready only once it is set up); unset: not managed. */
  network?: () => NetworkStatus;
}

export interface NetworkStatus {
  ready: boolean;
  /** Why not (e.g. NoPodCIDR, NetworkSetupFailed) or RouteCreated once it is. */
  reason: string;
  message: string;
}

/** "key=value:Effect,key:Effect" as --register-with-taints. */
export function parseTaints(s: string): Taint[] {
  if (!s.trim()) return [];
  return s.split(",").map((part) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(part.trim());
    if (!m) throw new Error(`invalid taint ${JSON.stringify(part)}: want key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
    return { key: m[1] ?? "", value: m[2] ?? "", effect: m[3] ?? "", timeAdded: "" };
  });
}

/** "k=v,k2=v2" as --node-labels. */
export function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(",").map((p) => p.trim()).filter(Boolean)) {
    const i = part.indexOf("=");
    if (i <= 0) throw new Error(`invalid label ${JSON.stringify(part)}: want key=value`);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

function allocatable(c: Capacity, reserved: Partial<Capacity> = {}): Record<string, string> {
  // Reservation arithmetic is left to the flags' author; without it allocatable equals capacity.
  return { cpu: reserved.cpu ?? c.cpu, memory: reserved.memory ?? c.memory, pods: c.pods };
}

function cond(prev: NodeCondition[], type: string, status: string, reason: string, message: string, now: string): NodeCondition {
  const old = prev.find((c) => c.type === type);
  return {
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
    reason,
    message,
  };
}

export function nodeConditions(prev: NodeCondition[], p: Pressure, now: string, net?: NetworkStatus): NodeCondition[] {
  // Kubernetes' kubelet is not Ready while its network is not ("network is not ready"): the scheduler
  // sends no pod to a node that could not start it.
  const ready = !net || net.ready;
  return [
    ...(net ? [cond(prev, "NetworkUnavailable", net.ready ? "False" : "True", net.reason, net.message, now)] : []),
    cond(prev, "MemoryPressure", p.memory ? "True" : "False", p.memory ? "KubeletHasInsufficientMemory" : "KubeletHasSufficientMemory", p.memory ? "kubelet has insufficient memory available" : "kubelet has sufficient memory available", now),
    cond(prev, "DiskPressure", p.disk ? "True" : "False", p.disk ? "KubeletHasDiskPressure" : "KubeletHasNoDiskPressure", p.disk ? "kubelet has disk pressure" : "kubelet has no disk pressure", now),
    cond(prev, "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", now),
    ready
      ? cond(prev, "Ready", "True", "KubeletReady", "kubelet is posting ready status", now)
      : cond(prev, "Ready", "False", "KubeletNotReady", `network is not ready: ${net?.message ?? ""}`, now),
  ];
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, "Z");

/** Status minus heartbeat times: what "changed" means for the report-on-change rule. */
function fingerprint(s: NodeStatus): string {
  return JSON.stringify({ ...s, conditions: s.conditions.map((c) => ({ ...c, lastHeartbeatTime: "" })) });
}

export class NodeRegistration {
  private readonly cs: Clientset;
  private readonly rt: ContainerRuntime;
  private readonly cfg: NodeConfig;
  private readonly log: Logger;
  private lastPosted = "";
  private lastPostedAt = 0;
  /** Node status writes, for tests and metrics. */
  writes = 0;

  constructor(cs: Clientset, rt: ContainerRuntime, cfg: NodeConfig, log: Logger) {
    this.cs = cs;
    this.rt = rt;
    this.cfg = cfg;
    this.log = log;
  }

  private labels(): Record<string, string> {
    return {
      "kubernetes.io/hostname": this.cfg.nodeName,
      "kubernetes.io/os": "linux",
      "kubernetes.io/arch": architecture(),
      ...this.cfg.labels,
    };
  }

  private async status(prev: NodeStatus | undefined): Promise<NodeStatus> {
    const [v, ids, image, pressure] = await Promise.all([this.rt.version(), machineIds(), osImage(), hostPressure()]);
    return {
      capacity: { ...this.cfg.capacity },
      allocatable: allocatable(this.cfg.capacity, this.cfg.reserved),
      conditions: nodeConditions(prev?.conditions ?? [], pressure, rfc3339(new Date()), this.cfg.network?.()),
      addresses: [
        { type: "InternalIP", address: this.cfg.nodeIp },
        { type: "Hostname", address: this.cfg.nodeName },
      ],
      nodeInfo: {
        machineId: ids.machineId,
        bootId: ids.bootId,
        kernelVersion: kernelVersion(),
        osImage: image,
        containerRuntimeVersion: `docker://${v.version}`,
        kubeletVersion: KUBELET_VERSION,
        operatingSystem: "linux",
        architecture: architecture(),
      },
      daemonEndpoints: { kubeletEndpoint: { port: this.cfg.port } },
    };
  }

  /** Creates the Node, or adopts the one that exists; returns its uid. */
  async register(signal?: AbortSignal): Promise<Node> {
    const node = Node.fromPartial({
      apiVersion: "v1",
      kind: "Node",
      metadata: emptyMeta({ name: this.cfg.nodeName, labels: this.labels() }),
      spec: { unschedulable: false, taints: this.cfg.taints, podCidr: "", podCidrs: [], providerId: "" },
      status: await this.status(undefined),
    });
    try {
      const created = await this.cs.nodes.create(node, signal ? { signal } : {});
      this.log.info({ node: this.cfg.nodeName }, "node registered");
      // Some servers drop status on create: post it as well.
      await this.postStatus(true, signal);
      return created;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const adopted = await retryOnConflict(async () => {
      const cur = await this.cs.nodes.get(this.cfg.nodeName, "", signal ? { signal } : {});
      if (cur.metadata) cur.metadata.labels = { ...cur.metadata.labels, ...this.labels() };
      return await this.cs.nodes.update(cur, signal ? { signal } : {});
    });
    this.log.info({ node: this.cfg.nodeName }, "node re-registered");
    await this.postStatus(true, signal);
    return adopted;
  }

  /** Posts the status when it changed or when reportMs has passed since the last post. */
  async postStatus(force: boolean, signal?: AbortSignal, reportMs = 60_000): Promise<void> {
    await retryOnConflict(async () => {
      const cur = await this.cs.nodes.get(this.cfg.nodeName, "", signal ? { signal } : {});
      const next = await this.status(cur.status);
      const fp = fingerprint(next);
      if (!force && fp === this.lastPosted && Date.now() - this.lastPostedAt < reportMs) return;
      cur.status = next;
      await this.cs.nodes.updateStatus(cur, signal ? { signal } : {});
      this.writes++;
      this.lastPosted = fp;
      this.lastPostedAt = Date.now();
    });
  }
}
