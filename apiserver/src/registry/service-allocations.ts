// What a Service holds beyond itself: its ClusterIP and its node ports, taken from the shared
// allocators when it is written and given back when it goes. A create takes them before the object
// is written and gives them back if the write fails; an update takes what is new and, once written,
// gives back what the old object held and the new one no longer does. (A crash between the two
// writes leaks an address until a repair pass; Kubernetes runs a repair loop for the same reason.)
import type { AnyObject, KindName, Service } from "@mk/proto";
import { EtcdAllocator, AllocationError } from "../allocator/allocator.js";
import type { IpRange, PortRange } from "../allocator/range.js";
import type { EtcdStorage } from "../storage/etcd.js";
import type { Allocations, Reservation } from "./store.js";
import { type Errors, invalid, throwIfInvalid } from "./validation.js";

export const SERVICE_IPS_KEY = "/registry/ranges/serviceips";
export const NODE_PORTS_KEY = "/registry/ranges/servicenodeports";

interface Held {
  allocator: EtcdAllocator;
  index: number;
}

const NONE: Reservation = { commit: async () => {}, abort: async () => {} };

function nodePortsOf(svc: Service): number[] {
  return [...new Set((svc.spec?.ports ?? []).map((p) => p.nodePort).filter((n) => n > 0))];
}

export class ServiceAllocations implements Allocations {
  readonly ips: EtcdAllocator;
  readonly ports: EtcdAllocator;

  constructor(
    storage: EtcdStorage,
    readonly ipRange: IpRange,
    readonly portRange: PortRange,
  ) {
    this.ips = new EtcdAllocator(storage, SERVICE_IPS_KEY, ipRange.cidr, ipRange.size);
    this.ports = new EtcdAllocator(storage, NODE_PORTS_KEY, portRange.text, portRange.size);
  }

  /** What `svc` holds, as allocator indexes (addresses and ports outside the ranges hold nothing). */
  private held(svc: Service): Held[] {
    const out: Held[] = [];
    const ip = svc.spec?.clusterIp ?? "";
    const i = ip && ip !== "None" ? this.ipRange.indexOf(ip) : undefined;
    if (i !== undefined) out.push({ allocator: this.ips, index: i });
    for (const p of nodePortsOf(svc)) {
      const j = this.portRange.indexOf(p);
      if (j !== undefined) out.push({ allocator: this.ports, index: j });
    }
    return out;
  }

  async reserve(kind: KindName, next: AnyObject, old: AnyObject | undefined, dryRun: boolean): Promise<Reservation> {
    if (kind !== "Service") return NONE;
    const svc = next as Service;
    const before = old as Service | undefined;
    const spec = svc.spec;
    if (!spec) return NONE;
    const taken: Held[] = [];
    const errs: Errors = [];
    const take = async (allocator: EtcdAllocator, index: number | undefined): Promise<number | undefined> => {
      try {
        if (index === undefined) index = await allocator.allocateNext();
        else await allocator.allocate(index);
        taken.push({ allocator, index });
        return index;
      } catch (err) {
        if (err instanceof AllocationError) return undefined;
        throw err;
      }
    };
    try {
      // ClusterIP: kept when unchanged, else the one asked for, else any free one.
      const ip = spec.clusterIp;
      const oldIp = before?.spec?.clusterIp ?? "";
      if (ip !== "None" && !(ip && ip === oldIp)) {
        if (ip) {
          const index = this.ipRange.indexOf(ip);
          if (index === undefined) {
            errs.push(invalid("spec.clusterIP", ip, `provided IP is not in the valid range. The range of valid IPs is ${this.ipRange.cidr}`));
          } else if (!dryRun && (await take(this.ips, index)) === undefined) {
            errs.push(invalid("spec.clusterIP", ip, "provided IP is already allocated"));
          }
        } else if (!dryRun) {
          const index = await take(this.ips, undefined);
          if (index === undefined) errs.push(invalid("spec.clusterIP", ip, `failed to allocate a serviceIP: range ${this.ipRange.cidr} is full`));
          else spec.clusterIp = this.ipRange.ipAt(index);
        }
        if (spec.clusterIp) spec.clusterIps = [spec.clusterIp];
      }
      // Node ports: those the old object held stay; new ones are taken; missing ones allocated.
      if (spec.type === "NodePort") {
        const oldPorts = new Set(before ? nodePortsOf(before) : []);
        const mine = new Set<number>();
        for (const [i, p] of spec.ports.entries()) {
          const field = `spec.ports[${i}].nodePort`;
          if (p.nodePort && (oldPorts.has(p.nodePort) || mine.has(p.nodePort))) continue;
          if (p.nodePort) {
            const index = this.portRange.indexOf(p.nodePort);
            if (index === undefined) {
              errs.push(invalid(field, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${this.portRange.text}`));
            } else if (!dryRun && (await take(this.ports, index)) === undefined) {
              errs.push(invalid(field, p.nodePort, "provided port is already allocated"));
            }
          } else if (!dryRun) {
            const index = await take(this.ports, undefined);
            if (index === undefined) errs.push(invalid(field, 0, `failed to allocate a nodePort: range ${this.portRange.text} is full`));
            else p.nodePort = this.portRange.portAt(index);
          }
          if (p.nodePort) mine.add(p.nodePort);
        }
      }
      throwIfInvalid("Service", svc.metadata?.name ?? "", errs);
    } catch (err) {
      await this.giveBack(taken);
      throw err;
    }
    return {
      commit: async () => {
        if (!before) return;
        const now = this.held(svc);
        const dropped = this.held(before).filter((h) => !now.some((n) => n.allocator === h.allocator && n.index === h.index));
        await this.giveBack(dropped);
      },
      abort: () => this.giveBack(taken),
    };
  }

  async release(kind: KindName, obj: AnyObject): Promise<void> {
    if (kind !== "Service") return;
    await this.giveBack(this.held(obj as Service));
  }

  private async giveBack(held: readonly Held[]): Promise<void> {
    for (const h of held) await h.allocator.release(h.index);
  }
}
