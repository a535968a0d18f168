// The Services and EndpointSlices the DNS server answers from, kept from the API server's own watch
// hub (a list, then the hub's events): no client, no credentials, no watch of its own. Reads are
// synchronous map lookups, so a query never waits on etcd.
import { type EndpointSlice, SERVICE_NAME_LABEL, type Service } from "@mk/proto";
import type { Logger } from "pino";
import type { EtcdStorage } from "../storage/etcd.js";
import type { HubEvent, WatchHub } from "../watch/hub.js";

/** What the zone reads (records.ts); a test may give a map of its own. */
export interface ServiceView {
  service(namespace: string, name: string): Service | undefined;
  /** The EndpointSlices of a Service (labelled kubernetes.io/service-name). */
  slices(namespace: string, service: string): EndpointSlice[];
  /** Whether any Service lives in the namespace (NS.svc.DOMAIN exists then). */
  hasNamespace(namespace: string): boolean;
  services(): Iterable<Service>;
  /** A change counter (the SOA serial follows it). */
  readonly serial: number;
}

type Kind = "Service" | "EndpointSlice";

export class DnsCache implements ServiceView {
  private readonly svcs = new Map<string, Service>();
  /** "ns/service" → slice name → slice. */
  private readonly bySvc = new Map<string, Map<string, EndpointSlice>>();
  /** "ns/slice" → "ns/service" it was filed under. */
  private readonly sliceOwner = new Map<string, string>();
  private readonly perNamespace = new Map<string, number>();
  private readonly unsubscribes: (() => void)[] = [];
  private stopped = false;
  serial = 1;

  constructor(
    private readonly storage: EtcdStorage,
    private readonly hub: WatchHub,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    for (const kind of ["Service", "EndpointSlice"] as const) await this.load(kind);
  }

  private async load(kind: Kind): Promise<void> {
    const page = await this.storage.list(kind, "");
    for (const obj of page.items) this.put(kind, obj as Service & EndpointSlice);
    const unsub = this.hub.subscribe(kind, Number(page.revision), {
      onEvent: (ev) => this.onEvent(kind, ev),
      onError: () => {
        // The hub restarts itself: list again from scratch.
        if (this.stopped) return;
        this.log.warn({ kind }, "dns cache lost its watch; relisting");
        this.clear(kind);
        setTimeout(() => void this.load(kind).catch((err: unknown) => this.log.error({ err, kind }, "dns cache relist failed")), 500);
      },
    });
    if (!unsub) throw new Error(`watch hub does not reach back to the ${kind} list`);
    this.unsubscribes.push(unsub);
  }

  private onEvent(kind: Kind, ev: HubEvent): void {
    if (ev.type === "delete") this.remove(kind, ev.namespace, ev.name);
    else if (ev.object) this.put(kind, ev.object as Service & EndpointSlice);
  }

  private put(kind: Kind, obj: Service | EndpointSlice): void {
    this.serial++;
    const ns = obj.metadata?.namespace ?? "";
    const name = obj.metadata?.name ?? "";
    if (kind === "Service") {
      const key = `${ns}/${name}`;
      if (!this.svcs.has(key)) this.perNamespace.set(ns, (this.perNamespace.get(ns) ?? 0) + 1);
      this.svcs.set(key, obj as Service);
      return;
    }
    const slice = obj as EndpointSlice;
    const owner = `${ns}/${slice.metadata?.labels[SERVICE_NAME_LABEL] ?? ""}`;
    this.remove("EndpointSlice", ns, name);
    this.sliceOwner.set(`${ns}/${name}`, owner);
    let set = this.bySvc.get(owner);
    if (!set) {
      set = new Map();
      this.bySvc.set(owner, set);
    }
    set.set(name, slice);
  }

  private remove(kind: Kind, ns: string, name: string): void {
    this.serial++;
    const key = `${ns}/${name}`;
    if (kind === "Service") {
      if (this.svcs.delete(key)) {
        const n = (this.perNamespace.get(ns) ?? 1) - 1;
        if (n > 0) this.perNamespace.set(ns, n);
        else this.perNamespace.delete(ns);
      }
      return;
    }
    const owner = this.sliceOwner.get(key);
    if (owner === undefined) return;
    this.sliceOwner.delete(key);
    const set = this.bySvc.get(owner);
    set?.delete(name);
    if (set?.size === 0) this.bySvc.delete(owner);
  }

  private clear(kind: Kind): void {
    if (kind === "Service") {
      this.svcs.clear();
      this.perNamespace.clear();
    } else {
      this.bySvc.clear();
      this.sliceOwner.clear();
    }
  }

  service(namespace: string, name: string): Service | undefined {
    return this.svcs.get(`${namespace}/${name}`);
  }

  slices(namespace: string, service: string): EndpointSlice[] {
    return [...(this.bySvc.get(`${namespace}/${service}`)?.values() ?? [])];
  }

  hasNamespace(namespace: string): boolean {
    return this.perNamespace.has(namespace);
  }

  services(): Iterable<Service> {
    return this.svcs.values();
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.unsubscribes.splice(0)) u();
  }
}
