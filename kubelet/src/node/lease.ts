// The node's heartbeat: a Lease named after the node in mk-node-lease, renewed every renewMs. The node
// lifecycle controller judges the node by when it saw renewTime change, not by the clocks' agreement.
import { emptyMeta, Lease } from "@mk/proto";
import { type Clientset, isNotFound, retryOnConflict } from "@mk/proto/client";
import type { Logger } from "pino";

export const NODE_LEASE_NAMESPACE = "mk-node-lease";

/** RFC 3339 with microseconds, as Kubernetes' MicroTime. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/Z$/, "000Z");
}

export interface LeaseOptions {
  nodeName: string;
  nodeUid: string;
  renewMs: number;
  /** Kubernetes' default: 40 s. */
  durationSeconds?: number;
  log: Logger;
}

export class NodeLease {
  private readonly cs: Clientset;
  private readonly o: LeaseOptions;
  renewals = 0;
  /** When the last renewal succeeded (ms since epoch), for /healthz. */
  lastRenewed = 0;

  constructor(cs: Clientset, o: LeaseOptions) {
    this.cs = cs;
    this.o = o;
  }

  async renew(signal?: AbortSignal): Promise<void> {
    const opts = signal ? { signal } : {};
    const now = microTime(new Date());
    await retryOnConflict(async () => {
      let cur: Lease;
      try {
        cur = await this.cs.leases.get(this.o.nodeName, NODE_LEASE_NAMESPACE, opts);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const lease = Lease.fromPartial({
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: emptyMeta({
            name: this.o.nodeName,
            namespace: NODE_LEASE_NAMESPACE,
            ownerReferences: [{ apiVersion: "v1", kind: "Node", name: this.o.nodeName, uid: this.o.nodeUid, controller: false, blockOwnerDeletion: false }],
          }),
          spec: { holderIdentity: this.o.nodeName, leaseDurationSeconds: this.o.durationSeconds ?? 40, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        });
        await this.cs.leases.create(lease, opts);
        return;
      }
      cur.spec = { ...(cur.spec ?? { holderIdentity: "", acquireTime: "", renewTime: "" }), holderIdentity: this.o.nodeName, renewTime: now, leaseDurationSeconds: this.o.durationSeconds ?? 40 };
      await this.cs.leases.update(cur, opts);
    });
    this.renewals++;
    this.lastRenewed = Date.now();
  }

  /** Renews every renewMs until the signal aborts; a failed renewal is logged and retried at the next tick. */
  async run(signal: AbortSignal, onTick?: () => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.renew(signal);
        await onTick?.();
      } catch (err) {
        if (signal.aborted) return;
        this.o.log.warn({ err, node: this.o.nodeName }, "lease renewal failed");
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, this.o.renewMs);
        function done() {
          signal.removeEventListener("abort", done);
          clearTimeout(t);
          resolve();
        }
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }
}
