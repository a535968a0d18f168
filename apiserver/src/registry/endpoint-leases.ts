// kube-apiserver's "lease" endpoint reconciler (pkg/controlplane/reconcilers/lease.go): each API
// server keeps a record of its own in etcd, `/registry/\0apiserver-leases/<ip>:<port>`, under a
// lease of --endpoint-lease-ttl (15 s), put again every third of it; on every renewal it rewrites
// the addresses of the Services the API servers provide (self-service.ts: default/kubernetes,
// kube-system/kube-dns) to exactly those of the live records, so a server that died leaves them
// within one TTL and a renewal. A clean stop deletes the record and takes the server out at once.
// The record names the ports this server serves for each Service: the ports an Endpoints carries
// stay as they are (the last server started wins, as before) while a live record serves them, and
// become this server's when none does (two servers on one address: the one that died had its port).
import { type EndpointPort, type EndpointSlice, type Endpoints, KUBE_DNS_NAMESPACE, KUBE_DNS_SERVICE } from "@mk/proto";
import { ConflictError, NotFoundError } from "@mk/proto/client";
import type { Logger } from "pino";
import type { EtcdStorage } from "../storage/etcd.js";
import { KUBERNETES_SERVICE } from "./self-service.js";
import type { Store } from "./store.js";

/** Outside every kind's prefix: the watch hub and the objects' lists never see these keys. */
export const LEASES_PREFIX = "/registry/\0apiserver-leases/";
/** Kubernetes' default (--endpoint-lease-ttl is not a kube-apiserver flag; its reconciler uses 15 s). */
export const DEFAULT_ENDPOINT_LEASE_TTL_SECONDS = 15;

/** The Services whose endpoints are the API servers', by "namespace/name". */
export const SELF_SERVICES = [`default/${KUBERNETES_SERVICE}`, `${KUBE_DNS_NAMESPACE}/${KUBE_DNS_SERVICE}`] as const;

/** How long a clean stop waits to take this server out (the gRPC server's own stop waits as long). */
const STOP_LIMIT_MS = 5_000;

/** What one API server's record says: its endpoint address and, per Service it serves, its ports. */
export interface LeaseRecord {
  ip: string;
  ports: Record<string, EndpointPort[]>;
}

/** Parses a record's value; undefined when it is not one (written by something else). */
export function parseLeaseRecord(value: Buffer): LeaseRecord | undefined {
  try {
    const v: unknown = JSON.parse(value.toString("utf8"));
    if (typeof v !== "object" || v === null) return undefined;
    const r = v as Partial<LeaseRecord>;
    if (typeof r.ip !== "string" || !r.ip || typeof r.ports !== "object" || r.ports === null) return undefined;
    return { ip: r.ip, ports: r.ports };
  } catch {
    return undefined;
  }
}

/** The addresses that serve `service`, sorted, each once. */
export function liveAddresses(records: readonly LeaseRecord[], service: string): string[] {
  return [...new Set(records.filter((r) => r.ports[service] !== undefined).map((r) => r.ip))].sort();
}

/**
 * The addresses to write: those of `current` that are live, in their order, then the live ones
 * missing, sorted. Equal to `current` when nothing changed, so nothing is written.
 */
export function reconcileAddresses(current: readonly string[], live: readonly string[]): string[] {
  const kept = current.filter((ip, i) => live.includes(ip) && current.indexOf(ip) === i);
  return [...kept, ...live.filter((ip) => !kept.includes(ip))];
}

function samePorts(a: readonly EndpointPort[], b: readonly EndpointPort[]): boolean {
  const key = (p: EndpointPort) => `${p.name}/${p.protocol}/${p.port}`;
  const sa = a.map(key).sort();
  const sb = b.map(key).sort();
  return sa.length === sb.length && sa.every((k, i) => k === sb[i]);
}

/**
 * The ports to write: `current` while a live record serves them, else this server's (`own`), else
 * the first live record's; `current` when nobody serves the Service any more.
 */
export function reconcilePorts(current: EndpointPort[], records: readonly LeaseRecord[], service: string, own: EndpointPort[] | undefined): EndpointPort[] {
  const served = records.flatMap((r) => (r.ports[service] ? [r.ports[service]] : []));
  if (served.some((p) => samePorts(p, current))) return current;
  return own ?? served[0] ?? current;
}

export interface EndpointLeasesOptions {
  storage: EtcdStorage;
  store: Store;
  log: Logger;
  /** This server's record (its key is `<ip>:<apiPort>`). */
  record: LeaseRecord;
  apiPort: number;
  ttlSeconds: number;
}

/** One API server's lease and the reconciles it drives. */
export class EndpointLeases {
  private readonly key: string;
  private lease: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: EndpointLeasesOptions) {
    this.key = `${LEASES_PREFIX}${o.record.ip}:${o.apiPort}`;
  }

  /** Writes this server's record (before it adds itself anywhere, so that no other server takes it out). */
  async renewLease(): Promise<void> {
    const old = this.lease;
    this.lease = await this.o.storage.putLeased(this.key, Buffer.from(JSON.stringify(this.o.record)), this.o.ttlSeconds);
    // The key moved to the new lease; the old one would expire by itself, this is only tidier.
    if (old) await this.o.storage.revokeLease(old).catch(() => undefined);
  }

  /** Reconciles once now, then renews and reconciles every third of the TTL. */
  async start(): Promise<void> {
    await this.reconcileAll();
    const every = Math.max(1, Math.floor((this.o.ttlSeconds * 1000) / 3));
    this.timer = setInterval(() => {
      if (this.running || this.stopped) return;
      this.running = this.round().finally(() => {
        this.running = undefined;
      });
    }, every);
  }

  /**
   * A clean stop: the record goes, and this server leaves the endpoints now rather than in a TTL.
   * With etcd out of reach this gives up after STOP_LIMIT_MS (the lease then expires by itself).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    let limit: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      limit = setTimeout(() => {
        this.o.log.warn("endpoint lease not removed in time; it expires by itself");
        resolve();
      }, STOP_LIMIT_MS);
    });
    await Promise.race([this.leave(), late]);
    clearTimeout(limit);
  }

  private async leave(): Promise<void> {
    await this.running;
    try {
      await this.o.storage.deleteRaw(this.key);
      if (this.lease) await this.o.storage.revokeLease(this.lease).catch(() => undefined);
      await this.reconcileAll();
    } catch (err) {
      this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, "endpoint lease not removed; it expires by itself");
    }
  }

  private async round(): Promise<void> {
    try {
      await this.renewLease();
    } catch (err) {
      // Not renewed: reconciling now could take this very server out. The next round tries again.
      this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, "endpoint lease not renewed");
      return;
    }
    if (this.stopped) return;
    try {
      await this.reconcileAll();
    } catch (err) {
      this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, "API server endpoints not reconciled");
    }
  }

  private async reconcileAll(): Promise<void> {
    const records = (await this.o.storage.listRaw(LEASES_PREFIX)).flatMap((kv) => parseLeaseRecord(kv.value) ?? []);
    for (const service of SELF_SERVICES) await this.reconcile(service, records);
  }

  private async reconcile(service: string, records: readonly LeaseRecord[]): Promise<void> {
    const [namespace = "", name = ""] = service.split("/");
    const live = liveAddresses(records, service);
    // Stopping, this server serves nothing any more: the ports fall to a live record's.
    const own = this.stopped ? undefined : this.o.record.ports[service];
    const { store } = this.o;
    const opts = { operation: "update" as const, dryRun: false, retryOnConflict: true };
    try {
      await store.guaranteedUpdate("Endpoints", namespace, name, opts, (cur) => endpointsWith(store.copyOf("Endpoints", cur), live, records, service, own));
      await store.guaranteedUpdate("EndpointSlice", namespace, name, opts, (cur) => sliceWith(store.copyOf("EndpointSlice", cur), live, records, service, own));
    } catch (err) {
      // Not created (no DNS, or a Service of someone else's at its address), or deleted: nothing to do.
      if (err instanceof NotFoundError) return;
      if (!(err instanceof ConflictError)) throw err;
      this.o.log.warn({ service, err: err.message }, "API server endpoints not reconciled; the next renewal tries again");
    }
  }
}

function endpointsWith(next: Endpoints, live: readonly string[], records: readonly LeaseRecord[], service: string, own: EndpointPort[] | undefined): Endpoints {
  const subset = next.subsets[0] ?? { addresses: [], notReadyAddresses: [], ports: [] };
  const ips = reconcileAddresses(
    subset.addresses.map((a) => a.ip),
    live,
  );
  const byIp = new Map(subset.addresses.map((a) => [a.ip, a]));
  subset.addresses = ips.map((ip) => byIp.get(ip) ?? { ip, hostname: "", targetRef: undefined });
  subset.ports = reconcilePorts(subset.ports, records, service, own).map((p) => ({ ...p }));
  next.subsets = [subset];
  return next;
}

function sliceWith(next: EndpointSlice, live: readonly string[], records: readonly LeaseRecord[], service: string, own: EndpointPort[] | undefined): EndpointSlice {
  const ips = reconcileAddresses(
    next.endpoints.map((e) => e.addresses[0] ?? ""),
    live,
  );
  const byIp = new Map(next.endpoints.map((e) => [e.addresses[0] ?? "", e]));
  next.endpoints = ips.map((ip) => byIp.get(ip) ?? { addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, targetRef: undefined });
  const current = next.ports.map((p) => ({ name: p.name ?? "", port: p.port ?? 0, protocol: p.protocol ?? "TCP" }));
  const ports = reconcilePorts(current, records, service, own);
  if (ports !== current) next.ports = ports.map((p) => ({ ...p }));
  return next;
}
