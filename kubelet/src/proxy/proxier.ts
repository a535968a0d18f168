// The node proxy's loop (kube-proxy's iptables Proxier with its BoundedFrequencyRunner): informers
// on Services and EndpointSlices mark the state dirty; while this process owns the rules of its
// network namespace (owner.ts), a sync computes the whole ruleset from the caches and writes it in
// one iptables-restore. Syncs are at most one per minSyncMs (events in between are batched into the
// next) and at least one per syncPeriodMs (a full one: the jumps are checked too, and whatever
// strayed into mk's chains is overwritten). A sync's text equal to the last one written is skipped,
// except for the periodic and the first one. Only a full sync reads the kernel's chains
// (iptables-save); the others know them from their last write. The rules outlive the process: nothing is removed on
// stop (a restarted or another kubelet takes over the same rules); `mkctl cluster down` removes them.
import { type EndpointSlice, proxyNames, type ProxyNames, type Service } from "@mk/proto";
import type { Clientset } from "@mk/proto/client";
import { type Informer, InformerFactory } from "@mk/proto/informer";
import type { Logger } from "pino";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { iptablesKernel, type ProxyKernel, proxyJumps } from "./kernel.js";
import type { Ownership } from "./owner.js";
import { buildRuleset } from "./ruleset.js";
import { type ServicePortInfo, servicePorts } from "./service-ports.js";

export interface ProxierOptions {
  clusterId: string;
  clusterCidr: string;
  /** At most one sync per this (kube-proxy's --iptables-min-sync-period, 1 s). */
  minSyncMs?: number;
  /** A full sync at least this often (kube-proxy's --iptables-sync-period, 30 s). */
  syncPeriodMs?: number;
}

interface ProxyMetrics {
  duration: Histogram;
  last: Gauge;
  rules: Gauge<"table">;
  owner: Gauge;
  failures: Counter;
}

function sleep(ms: number, signal: AbortSignal, wake?: (fn: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, Math.max(0, ms));
    signal.addEventListener("abort", done, { once: true });
    wake?.(done);
  });
}

export class Proxier {
  readonly names: ProxyNames;
  private readonly o: Required<ProxierOptions>;
  private readonly factory: InformerFactory;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private dirty = true;
  private full = true;
  private wake: (() => void) | undefined;
  private lastText = "";
  /** The SVC/SEP chains the last write left (a full sync reads them from the kernel instead). */
  private lastChains: string[] | undefined;
  private lastSyncAt = 0;
  private lastFullAt = 0;
  /** UDP service port → its endpoints as last written (conntrack entries go when they change). */
  private udpEndpoints = new Map<string, string>();
  private metrics: ProxyMetrics | undefined;
  /** The text last written (the bench reads it: a rule is in place once its restore returned). */
  get lastWritten(): string {
    return this.lastText;
  }

  /** Syncs written since start (tests and the bench read it). */
  syncs = 0;
  lastRules = { nat: 0, filter: 0 };

  constructor(
    cs: Pick<Clientset, "resource">,
    o: ProxierOptions,
    private readonly ownership: Ownership,
    private readonly log: Logger,
    private readonly kernel: ProxyKernel = iptablesKernel,
  ) {
    this.o = { minSyncMs: 1_000, syncPeriodMs: 30_000, ...o };
    this.names = proxyNames(o.clusterId);
    this.factory = new InformerFactory(cs, { logger: log });
    this.services = this.factory.informerFor("Service");
    this.slices = this.factory.informerFor("EndpointSlice");
    const changed = () => this.changed();
    for (const inf of [this.services, this.slices] as Informer<Service | EndpointSlice>[]) {
      inf.addEventHandler({ add: changed, update: (a, b) => a !== b && changed(), delete: changed });
    }
    ownership.onLost(() => {
      this.metrics?.owner.set(0);
      this.wake?.();
    });
  }

  /** Adds the proxy's metrics to a registry (the kubelet's /metrics). */
  register(registry: Registry): void {
    const registers = [registry];
    this.metrics = {
      duration: new Histogram({
        name: "mk_proxy_sync_proxy_rules_duration_seconds",
        help: "How long one sync of the proxy's rules took (compute, read the kernel's chains, iptables-restore).",
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers,
      }),
      last: new Gauge({ name: "mk_proxy_sync_proxy_rules_last_timestamp_seconds", help: "When the proxy's rules were last written (Unix seconds).", registers }),
      rules: new Gauge({ name: "mk_proxy_iptables_rules", help: "Rules in mk's proxy chains as last written, per table.", labelNames: ["table"], registers }),
      owner: new Gauge({ name: "mk_proxy_owner", help: "1 while this kubelet owns the proxy rules of its network namespace.", registers }),
      failures: new Counter({ name: "mk_proxy_sync_failures_total", help: "Syncs of the proxy's rules that failed (retried).", registers }),
    };
  }

  private changed(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Until the signal aborts: watches, and writes the rules while owning them. Never removes them. */
  async run(signal: AbortSignal): Promise<void> {
    this.factory.start(signal);
    if (!(await this.factory.waitForSync(signal))) return;
    this.log.info({ services: this.services.store.list().length, slices: this.slices.store.list().length }, "proxy: caches synced");
    try {
      while (!signal.aborted) {
        if (!this.ownership.owned) {
          this.metrics?.owner.set(0);
          if (!(await this.ownership.acquire(signal))) return;
          this.metrics?.owner.set(1);
          this.full = true;
          this.dirty = true;
        }
        const now = Date.now();
        if (now - this.lastFullAt >= this.o.syncPeriodMs) this.full = true;
        if (this.dirty || this.full) {
          const wait = this.lastSyncAt + this.o.minSyncMs - now;
          if (wait > 0) await sleep(wait, signal);
          if (signal.aborted) break;
          if (this.ownership.owned) await this.sync();
          continue;
        }
        await sleep(this.lastFullAt + this.o.syncPeriodMs - now, signal, (done) => {
          this.wake = done;
        });
        this.wake = undefined;
      }
    } finally {
      this.ownership.release();
      await this.factory.stop();
    }
  }

  /** One sync from the caches; a failure is logged and retried (as a full sync) after minSyncMs. */
  private async sync(): Promise<void> {
    const full = this.full;
    this.dirty = false;
    this.full = false;
    const t0 = performance.now();
    this.lastSyncAt = Date.now();
    try {
      const ports = servicePorts(this.services.store.list(), this.slices.store.list());
      // iptables-save costs as much as the restore: only a full sync reads what the kernel has.
      const existing = full || !this.lastChains ? await this.kernel.natChains(this.names) : this.lastChains;
      const rs = buildRuleset({ names: this.names, clusterCidr: this.o.clusterCidr, ports, existingNatChains: existing });
      if (!full && rs.text === this.lastText) return;
      await this.kernel.write(rs.text, full ? proxyJumps(this.names) : undefined);
      this.lastText = rs.text;
      this.lastChains = rs.chains;
      if (full) this.lastFullAt = this.lastSyncAt;
      this.syncs++;
      this.lastRules = { nat: rs.natRules, filter: rs.filterRules };
      await this.clearStaleUdp(ports);
      const seconds = (performance.now() - t0) / 1000;
      this.metrics?.duration.observe(seconds);
      this.metrics?.last.set(Date.now() / 1000);
      this.metrics?.rules.set({ table: "nat" }, rs.natRules);
      this.metrics?.rules.set({ table: "filter" }, rs.filterRules);
      this.log.info(
        { full, servicePorts: ports.length, endpoints: ports.reduce((n, p) => n + p.endpoints.length, 0), natRules: rs.natRules, filterRules: rs.filterRules, deletedChains: rs.deleted.length, ms: Math.round(seconds * 1000) },
        "proxy: rules synced",
      );
    } catch (err) {
      this.full = true;
      this.lastChains = undefined;
      this.metrics?.failures.inc();
      this.log.warn({ err }, "proxy: sync failed; retrying");
    }
  }

  /** UDP has no connection to end: entries to a Service port whose endpoints changed are deleted. */
  private async clearStaleUdp(ports: ServicePortInfo[]): Promise<void> {
    const now = new Map<string, string>();
    const jobs: Array<[string | undefined, number]> = [];
    for (const p of ports) {
      if (p.protocol !== "UDP") continue;
      const key = `${p.name}|${p.clusterIp}:${p.port}|${p.nodePort}`;
      const eps = p.endpoints.map((e) => `${e.ip}:${e.port}`).join(",");
      now.set(key, eps);
      if (this.udpEndpoints.get(key) === eps) continue;
      jobs.push([p.clusterIp, p.port]);
      if (p.nodePort) jobs.push([undefined, p.nodePort]);
    }
    this.udpEndpoints = now;
    for (const [ip, port] of jobs) {
      await this.kernel.clearUdp(ip, port).catch((err: unknown) => this.log.warn({ err, ip, port }, "proxy: conntrack entries not deleted"));
    }
  }
}
