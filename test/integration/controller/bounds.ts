// Watches ReplicaSets and Pods of one app and checks the rollout bounds on every event:
//   sum of the ReplicaSets' spec.replicas ≤ replicas + maxSurge
//   non-terminating pods                 ≤ replicas + maxSurge
//   available (ready, non-terminating)   ≥ replicas - maxUnavailable
import type { Pod, ReplicaSet } from "@mk/proto";
import type { Clientset } from "@mk/proto/client";
import { isReady } from "./objects.js";

export class BoundsMonitor {
  readonly violations: string[] = [];
  events = 0;
  maxTotalSpec = 0;
  maxPods = 0;
  minAvailable = Number.POSITIVE_INFINITY;
  private readonly rss = new Map<string, ReplicaSet>();
  private readonly pods = new Map<string, Pod>();
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private checking = false;
  private ready = 0;

  constructor(
    private readonly client: Clientset,
    private readonly app: string,
    private limits: { maxTotal: number; minAvailable: number },
  ) {}

  async start(): Promise<void> {
    const signal = this.abort.signal;
    const sel = `app=${this.app}`;
    let resolveReady: () => void = () => {};
    const bothListed = new Promise<void>((r) => (resolveReady = r));
    const synced = () => {
      if (++this.ready === 2) resolveReady();
    };
    const rsList = await this.client.replicaSets.list({ namespace: "default", labelSelector: sel });
    for (const rs of rsList.items) this.rss.set(rs.metadata?.name ?? "", rs);
    const podList = await this.client.pods.list({ namespace: "default", labelSelector: sel });
    for (const p of podList.items) this.pods.set(p.metadata?.name ?? "", p);
    this.loops.push(
      (async () => {
        synced();
        for await (const ev of this.client.replicaSets.watch({ namespace: "default", labelSelector: sel, resourceVersion: rsList.resourceVersion, signal })) {
          const n = ev.object.metadata?.name ?? "";
          if (ev.type === "DELETED") this.rss.delete(n);
          else if (ev.type !== "BOOKMARK") this.rss.set(n, ev.object);
          this.check(`rs ${ev.type} ${n}`);
        }
      })(),
      (async () => {
        synced();
        for await (const ev of this.client.pods.watch({ namespace: "default", labelSelector: sel, resourceVersion: podList.resourceVersion, signal })) {
          const n = ev.object.metadata?.name ?? "";
          if (ev.type === "DELETED") this.pods.delete(n);
          else if (ev.type !== "BOOKMARK") this.pods.set(n, ev.object);
          this.check(`pod ${ev.type} ${n}`);
        }
      })(),
    );
    await bothListed;
  }

  /** Starts checking (after the state before the rollout is in). */
  arm(limits?: { maxTotal: number; minAvailable: number }): void {
    if (limits) this.limits = limits;
    this.checking = true;
  }

  disarm(): void {
    this.checking = false;
  }

  private check(what: string): void {
    if (!this.checking) return;
    this.events++;
    const totalSpec = [...this.rss.values()].reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
    const live = [...this.pods.values()].filter((p) => !p.metadata?.deletionTimestamp);
    const available = live.filter(isReady).length;
    this.maxTotalSpec = Math.max(this.maxTotalSpec, totalSpec);
    this.maxPods = Math.max(this.maxPods, live.length);
    this.minAvailable = Math.min(this.minAvailable, available);
    const { maxTotal, minAvailable } = this.limits;
    if (totalSpec > maxTotal) this.violations.push(`${what}: sum of spec.replicas ${totalSpec} > ${maxTotal}`);
    if (live.length > maxTotal) this.violations.push(`${what}: ${live.length} non-terminating pods > ${maxTotal}`);
    if (available < minAvailable) this.violations.push(`${what}: ${available} available < ${minAvailable}`);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }
}
