// NodeInfo: a node plus what the pods on it (bound or assumed) already use. The cache owns and
// mutates NodeInfos; plugins receive them through the read-only NodeView.
import type { DeepReadonly } from "@mk/proto/informer";
import type { Node, Taint } from "@mk/proto";
import { cpuMillis, memoryBytes } from "@mk/proto";
import type { HostPort, PodInfo, Resources } from "./pod-info.js";
import { fnv1a } from "./hash.js";

export interface Allocatable extends Resources {
  readonly pods: number;
}

/** What a plugin may read about a node. */
export interface NodeView {
  readonly name: string;
  /** undefined: pods point at a node the cache has not seen (yet). */
  readonly node: DeepReadonly<Node> | undefined;
  readonly allocatable: Allocatable;
  readonly requested: Resources;
  readonly nonZeroRequested: Resources;
  readonly podCount: number;
  readonly ready: boolean;
  /** spec.unschedulable (cordoned). */
  readonly unschedulable: boolean;
  /** The node's NoSchedule and NoExecute taints: the ones that filter. */
  readonly hardTaints: readonly DeepReadonly<Taint>[];
  readonly labels: Readonly<Record<string, string>>;
  /** A hash of the name, mixed with the pod's uid for the tie-break. */
  readonly nameHash: number;
  /** Pods on this node whose controlling owner has this uid. */
  ownerCount(ownerUid: string): number;
  /** Whether any of the ports is already taken on this node. */
  portsConflict(ports: readonly HostPort[]): boolean;
}

const ANY_IP = "0.0.0.0";

function quantity(fn: (s: string) => number, s: string | undefined, fallback: number): number {
  if (s === undefined || s === "") return fallback;
  try {
    return fn(s);
  } catch {
    return fallback;
  }
}

export class NodeInfo implements NodeView {
  readonly name: string;
  node: DeepReadonly<Node> | undefined;
  allocatable: Allocatable = { cpu: 0, memory: 0, pods: 0 };
  ready = false;
  unschedulable = false;
  hardTaints: readonly DeepReadonly<Taint>[] = [];
  labels: Readonly<Record<string, string>> = {};
  readonly nameHash: number;
  /** Replaced (never mutated) on every change, so reading it allocates nothing. */
  requested: Resources = { cpu: 0, memory: 0 };
  nonZeroRequested: Resources = { cpu: 0, memory: 0 };
  private readonly pods = new Map<string, PodInfo>();
  private readonly owners = new Map<string, number>();
  /** `protocol/port` → the IPs bound to it, with a count for each (two pods may share nothing, but removal must be exact). */
  private readonly ports = new Map<string, Map<string, number>>();
  /** Bumped on every change; lets callers notice that a node changed under them. */
  generation = 0;

  constructor(name: string) {
    this.name = name;
    this.nameHash = fnv1a(name);
  }

  setNode(node: DeepReadonly<Node>): void {
    this.node = node;
    const a = node.status?.allocatable ?? {};
    this.allocatable = {
      cpu: quantity(cpuMillis, a.cpu, 0),
      memory: quantity(memoryBytes, a.memory, 0),
      pods: quantity((s) => Math.floor(Number(s)), a.pods, 110),
    };
    this.ready = node.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false;
    this.unschedulable = node.spec?.unschedulable ?? false;
    this.hardTaints = (node.spec?.taints ?? []).filter((t) => t.effect === "NoSchedule" || t.effect === "NoExecute");
    this.labels = node.metadata?.labels ?? {};
    this.generation++;
  }

  clearNode(): void {
    this.node = undefined;
    this.generation++;
  }

  get podCount(): number {
    return this.pods.size;
  }

  podKeys(): string[] {
    return [...this.pods.keys()];
  }

  hasPod(key: string): boolean {
    return this.pods.has(key);
  }

  ownerCount(ownerUid: string): number {
    return ownerUid === "" ? 0 : (this.owners.get(ownerUid) ?? 0);
  }

  addPod(pi: PodInfo): void {
    if (this.pods.has(pi.key)) this.removePod(pi.key);
    this.pods.set(pi.key, pi);
    this.addUsage(pi, 1);
    if (pi.ownerUid) this.owners.set(pi.ownerUid, (this.owners.get(pi.ownerUid) ?? 0) + 1);
    for (const p of pi.hostPorts) {
      const k = `${p.protocol}/${p.port}`;
      let ips = this.ports.get(k);
      if (!ips) {
        ips = new Map();
        this.ports.set(k, ips);
      }
      ips.set(p.ip, (ips.get(p.ip) ?? 0) + 1);
    }
    this.generation++;
  }

  removePod(key: string): boolean {
    const pi = this.pods.get(key);
    if (!pi) return false;
    this.pods.delete(key);
    this.addUsage(pi, -1);
    if (pi.ownerUid) {
      const n = (this.owners.get(pi.ownerUid) ?? 1) - 1;
      if (n > 0) this.owners.set(pi.ownerUid, n);
      else this.owners.delete(pi.ownerUid);
    }
    for (const p of pi.hostPorts) {
      const k = `${p.protocol}/${p.port}`;
      const ips = this.ports.get(k);
      if (!ips) continue;
      const n = (ips.get(p.ip) ?? 1) - 1;
      if (n > 0) ips.set(p.ip, n);
      else ips.delete(p.ip);
      if (ips.size === 0) this.ports.delete(k);
    }
    this.generation++;
    return true;
  }

  private addUsage(pi: PodInfo, sign: 1 | -1): void {
    const r = this.requested;
    const nz = this.nonZeroRequested;
    this.requested = { cpu: r.cpu + sign * pi.requests.cpu, memory: r.memory + sign * pi.requests.memory };
    this.nonZeroRequested = { cpu: nz.cpu + sign * pi.nonZeroRequests.cpu, memory: nz.memory + sign * pi.nonZeroRequests.memory };
  }

  /**
   * Kubernetes' HostPortInfo.CheckConflict: the same protocol and port conflict when either side binds
   * 0.0.0.0 or both bind the same address (127.0.0.1:80 and 127.0.0.2:80 may share a node).
   */
  portsConflict(ports: readonly HostPort[]): boolean {
    for (const p of ports) {
      const ips = this.ports.get(`${p.protocol}/${p.port}`);
      if (!ips || ips.size === 0) continue;
      if (p.ip === ANY_IP || ips.has(ANY_IP) || ips.has(p.ip)) return true;
    }
    return false;
  }
}
