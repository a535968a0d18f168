// A TEST-ONLY fake kubelet: registers simulated Node objects and makes pods bound to them Running
// and Ready, and completes their graceful deletions, with no container runtime. Controller and
// scheduler tests and scale benchmarks use it; it never ships in a product path.
import { Lease, Node, type Pod, PodStatus, emptyMeta, objectKey } from "@mk/proto";
import { AlreadyExistsError, type Clientset, ConflictError, NotFoundError, retryOnConflict } from "@mk/proto/client";

export interface SimulatedNode {
  name: string;
  /** 127.0.0.N: distinct loopback addresses stand for distinct hosts. */
  ip: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
}

export interface FakeKubeletOptions {
  client: Clientset;
  nodes: SimulatedNode[];
  /** Delay before a bound pod is reported Running and Ready (default 0). */
  readyDelayMs?: number;
  /** Renew each node's Lease in mk-node-lease this often (0: never; default 0). */
  leaseRenewMs?: number;
  /** Status writes in flight at once (default 32). */
  concurrency?: number;
  /**
   * Stand in for the scheduler: bind pods without spec.nodeName to the simulated nodes, round-robin
   * (default false: only pods bound by someone else are handled).
   */
  autoBind?: boolean;
  /**
   * Run-to-completion pods (restartPolicy Never or OnFailure): the exit code a pod's containers end
   * with, runMs after it became Running; undefined keeps it running. Exit 0 ends in Succeeded, any
   * other in Failed (as the kubelet does for restartPolicy Never).
   */
  exitCodeFor?: (pod: Pod) => number | undefined;
  /** How long a run-to-completion pod runs before exitCodeFor ends it (default 0). */
  runMs?: number;
}

const nowRfc3339 = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/** n simulated nodes fake-1 … fake-n on 127.0.0.2 … with the given capacity. */
export function simulatedNodes(n: number, base: Partial<SimulatedNode> = {}, prefix = "fake"): SimulatedNode[] {
  return Array.from({ length: n }, (_, i) => ({
    ...base,
    name: `${prefix}-${i + 1}`,
    ip: `127.0.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`,
  }));
}

export function nodeObject(n: SimulatedNode): Node {
  const capacity = { cpu: n.cpu ?? "4", memory: n.memory ?? "8Gi", pods: n.pods ?? "110" };
  const t = nowRfc3339();
  return Node.fromPartial({
    apiVersion: "v1",
    kind: "Node",
    metadata: emptyMeta({ name: n.name, labels: { "kubernetes.io/hostname": n.name, ...n.labels } }),
    spec: {},
    status: {
      capacity,
      allocatable: capacity,
      addresses: [
        { type: "InternalIP", address: n.ip },
        { type: "Hostname", address: n.name },
      ],
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          message: "kubelet is posting ready status",
          lastHeartbeatTime: t,
          lastTransitionTime: t,
        },
      ],
      nodeInfo: { kubeletVersion: "mk-fake", containerRuntimeVersion: "fake://0", operatingSystem: "linux", architecture: "amd64" },
    },
  });
}

export class FakeKubelet {
  private readonly opts: FakeKubeletOptions;
  private readonly nodes = new Map<string, SimulatedNode>();
  private readonly silenced = new Map<string, SimulatedNode>();
  private readonly abort = new AbortController();
  private readonly pending = new Map<string, Pod>();
  private readonly inFlight = new Set<string>();
  private active = 0;
  private podSeq = 0;
  private bindSeq = 0;
  private loops: Promise<void>[] = [];
  private leaseTimer: NodeJS.Timeout | undefined;
  /** Pods made Running by this fake, for assertions. */
  readonly started = new Set<string>();
  /** Pods kept Running but not Ready (markNotReady), by key. */
  private readonly notReady = new Set<string>();

  constructor(opts: FakeKubeletOptions) {
    this.opts = opts;
    for (const n of opts.nodes) this.nodes.set(n.name, n);
  }

  async start(): Promise<void> {
    await Promise.all(this.opts.nodes.map((n) => this.register(n)));
    this.loops.push(this.watchLoop());
    if (this.opts.leaseRenewMs) {
      await this.renewLeases();
      this.leaseTimer = setInterval(() => void this.renewLeases().catch(() => {}), this.opts.leaseRenewMs);
    }
  }

  /** Adds a simulated node while running (e.g. "room appears" tests). */
  async addNode(n: SimulatedNode): Promise<void> {
    this.nodes.set(n.name, n);
    await this.register(n);
  }

  /**
   * Stops reporting for a node, as if its kubelet died (its Node object stays): no Lease renewals,
   * no pod status, no completed deletions, no binds to it.
   */
  silence(name: string): void {
    const n = this.nodes.get(name);
    if (n) this.silenced.set(name, n);
    this.nodes.delete(name);
  }

  /**
   * A silenced node's kubelet comes back, as a restarted kubelet does: renews its Lease, posts
   * Ready=True, and handles the pods bound to it (completing the deletions that started meanwhile).
   */
  async resume(name: string): Promise<void> {
    const n = this.silenced.get(name);
    if (!n) throw new Error(`node ${name} is not silenced`);
    this.silenced.delete(name);
    this.nodes.set(name, n);
    await this.renewLease(n);
    await retryOnConflict(async () => {
      const cur = await this.opts.client.nodes.get(name);
      cur.status = nodeObject(n).status;
      await this.opts.client.nodes.updateStatus(cur);
    });
    for (const pod of (await this.opts.client.pods.list({ fieldSelector: `spec.nodeName=${name}` })).items) this.pending.set(objectKey(pod), pod);
    this.pump();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await Promise.allSettled(this.loops);
  }

  private async register(n: SimulatedNode): Promise<void> {
    try {
      await this.opts.client.nodes.create(nodeObject(n));
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }

  private async renewLeases(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => this.renewLease(n)));
  }

  private async renewLease(n: SimulatedNode): Promise<void> {
    const leases = this.opts.client.leases;
    const renewTime = new Date().toISOString().replace("Z", "000Z");
    try {
      const cur = await leases.get(n.name, "mk-node-lease");
      // Silenced while the get was in flight: a dead kubelet writes nothing more.
      if (!this.nodes.has(n.name)) return;
      cur.spec = { holderIdentity: n.name, leaseDurationSeconds: 40, acquireTime: cur.spec?.acquireTime ?? renewTime, renewTime };
      await leases.update(cur);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      await leases.create(
        Lease.fromPartial({
          metadata: emptyMeta({ name: n.name, namespace: "mk-node-lease" }),
          spec: { holderIdentity: n.name, leaseDurationSeconds: 40, acquireTime: renewTime, renewTime },
        }),
      );
    }
  }

  /**
   * Reports a Running pod as not Ready, as a failing readiness probe would, and keeps it so (this fake
   * no longer makes it Ready). For tests of what controllers do with unready pods.
   */
  async markNotReady(namespace: string, name: string): Promise<void> {
    const pods = this.opts.client.pods;
    await retryOnConflict(async () => {
      const cur = await pods.get(name, namespace);
      this.notReady.add(objectKey(cur));
      const t = nowRfc3339();
      const status = PodStatus.fromPartial(cur.status ?? {});
      status.conditions = status.conditions.map((c) =>
        c.type === "Ready" || c.type === "ContainersReady" ? { ...c, status: "False", lastTransitionTime: t, reason: "ContainersNotReady" } : c,
      );
      status.containerStatuses = status.containerStatuses.map((c) => ({ ...c, ready: false }));
      cur.status = status;
      await pods.updateStatus(cur);
    });
  }

  /** Ends a pod's containers with the exit code: Succeeded for 0, Failed for any other. */
  async finish(namespace: string, name: string, exitCode: number): Promise<void> {
    const pods = this.opts.client.pods;
    await retryOnConflict(async () => {
      const cur = await pods.get(name, namespace);
      const t = nowRfc3339();
      const status = PodStatus.fromPartial(cur.status ?? {});
      status.phase = exitCode === 0 ? "Succeeded" : "Failed";
      status.conditions = status.conditions.map((c) => (c.type === "Ready" || c.type === "ContainersReady" ? { ...c, status: "False", lastTransitionTime: t, reason: "PodCompleted" } : c));
      status.containerStatuses = (cur.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image,
        imageId: "",
        containerId: `fake://${cur.metadata?.uid.slice(0, 8)}-${c.name}`,
        ready: false,
        restartCount: 0,
        started: false,
        state: { terminated: { exitCode, signal: 0, reason: exitCode === 0 ? "Completed" : "Error", message: "", startedAt: status.startTime, finishedAt: t, containerId: "" } },
      }));
      cur.status = status;
      await pods.updateStatus(cur);
    });
  }

  private async watchLoop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        for await (const ev of this.opts.client.pods.watch({ signal })) {
          if (ev.type === "DELETED" || ev.type === "BOOKMARK") continue;
          const pod = ev.object;
          if (!pod.spec?.nodeName) {
            if (!this.opts.autoBind || pod.metadata?.deletionTimestamp) continue;
          } else if (!this.nodes.has(pod.spec.nodeName)) continue;
          this.pending.set(objectKey(pod), pod);
          this.pump();
        }
      } catch {
        // The watch broke (server restart, expiry): start over; a fresh watch lists everything again.
      }
      if (!signal.aborted) await new Promise((r) => setTimeout(r, 200));
    }
  }

  private pump(): void {
    const limit = this.opts.concurrency ?? 32;
    for (const [key, pod] of this.pending) {
      if (this.active >= limit) return;
      if (this.inFlight.has(key)) continue;
      this.pending.delete(key);
      this.inFlight.add(key);
      this.active++;
      void this.handle(pod)
        .catch(() => {
          // Conflicts and NotFound are routine here: a later watch event brings the current pod.
        })
        .finally(() => {
          this.active--;
          this.inFlight.delete(key);
          this.pump();
        });
    }
  }

  private async handle(pod: Pod): Promise<void> {
    const m = pod.metadata;
    if (!m || this.abort.signal.aborted) return;
    const pods = this.opts.client.pods;
    if (!pod.spec?.nodeName) {
      // autoBind: the bound pod comes back through the watch and is started then.
      const names = [...this.nodes.keys()];
      const node = names[this.bindSeq++ % names.length];
      if (!node || m.deletionTimestamp) return;
      await this.opts.client.bind(m.namespace, m.name, node, m.uid);
      return;
    }
    if (m.deletionTimestamp) {
      try {
        await pods.delete(m.name, m.namespace, { gracePeriodSeconds: 0, preconditions: { uid: m.uid } });
      } catch (err) {
        if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
      }
      this.started.delete(objectKey(pod));
      this.notReady.delete(objectKey(pod));
      return;
    }
    // Finished pods stay finished.
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return;
    if (pod.status?.phase === "Running" && pod.status.conditions.some((c) => c.type === "Ready" && c.status === "True")) return;
    if (this.notReady.has(objectKey(pod))) return;
    if (this.opts.readyDelayMs) await new Promise((r) => setTimeout(r, this.opts.readyDelayMs));
    const node = this.nodes.get(pod.spec?.nodeName ?? "");
    if (!node) return;
    const seq = ++this.podSeq;
    await retryOnConflict(async () => {
      const cur = await pods.get(m.name, m.namespace);
      if (cur.metadata?.deletionTimestamp || cur.metadata?.uid !== m.uid) return;
      const t = nowRfc3339();
      const cond = (type: string) => ({ type, status: "True", lastProbeTime: "", lastTransitionTime: t, reason: "", message: "" });
      cur.status = PodStatus.fromPartial({
        ...cur.status,
        phase: "Running",
        hostIp: node.ip,
        podIp: `10.${(seq >> 16) & 255}.${(seq >> 8) & 255}.${seq & 255}`,
        startTime: t,
        conditions: [cond("PodScheduled"), cond("Initialized"), cond("ContainersReady"), cond("Ready")],
        containerStatuses: (cur.spec?.containers ?? []).map((c) => ({
          name: c.name,
          image: c.image,
          imageId: "",
          containerId: `fake://${m.uid.slice(0, 8)}-${c.name}`,
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: t } },
        })),
      });
      await pods.updateStatus(cur);
      this.started.add(objectKey(pod));
    });
    this.scheduleExit(pod);
  }

  private scheduleExit(pod: Pod): void {
    const m = pod.metadata;
    if (!m || pod.spec?.restartPolicy === "Always") return;
    const code = this.opts.exitCodeFor?.(pod);
    if (code === undefined) return;
    const timer = setTimeout(() => {
      if (this.abort.signal.aborted) return;
      this.finish(m.namespace, m.name, code).catch(() => {
        // Deleted meanwhile: nothing to finish.
      });
    }, this.opts.runMs ?? 0);
    timer.unref();
  }
}
