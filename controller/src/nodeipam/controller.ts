// The node IPAM controller (Kubernetes' nodeipam range allocator): every Node gets a spec.podCIDR
// (and spec.podCIDRs) of --node-cidr-mask-size out of --cluster-cidr. Keys are node names;
// sync(node), level-triggered:
//
//   node gone (confirmed by a live read)  → release the ranges claimed for it
//   claims of this node for another uid or another range → release them (a loser's leftovers)
//   node has a podCIDR                    → make sure a claim records it; done
//   else                                  → rebuild the used set from the Node and claim caches,
//                                           claim a range (claims.ts), write it into the Node with
//                                           its resourceVersion (a conflict re-reads and retries)
import type { Lease, Node } from "@mk/proto";
import { type Clientset, type EventRecorder, isConflict, isNotFound } from "@mk/proto/client";
import { cloneCached, type DeepReadonly, type Informer, runController, WorkQueue } from "@mk/proto/informer";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics.js";
import { allocate, CidrExhaustedError } from "./allocate.js";
import { CidrSet } from "./cidr-set.js";
import { claimOf, type Holder, LeaseClaims, type RangeClaims } from "./claims.js";

const CONTROLLER = "nodeipam";
export const DEFAULT_CLUSTER_CIDR = "10.244.0.0/16";
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;

export interface NodeIpamControllerOptions {
  client: Clientset;
  nodeInformer: Informer<Node>;
  /** Leases of mk-system (the claims among them). */
  leaseInformer: Informer<Lease>;
  clusterCidr: string;
  nodeCidrMaskSize: number;
  /** Tests: a fake compare-and-swap; production: Leases through the API. */
  claims?: RangeClaims;
  recorder?: EventRecorder | undefined;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
}

type RoNode = DeepReadonly<Node>;

export class NodeIpamController {
  readonly queue = new WorkQueue({ name: CONTROLLER });
  private readonly o: NodeIpamControllerOptions;
  private readonly log: Logger;
  private readonly claims: RangeClaims;

  constructor(o: NodeIpamControllerOptions) {
    // Validates --cluster-cidr and the mask size at start, not at the first node.
    new CidrSet(o.clusterCidr, o.nodeCidrMaskSize);
    this.o = o;
    this.log = o.logger.child({ controller: CONTROLLER });
    this.claims = o.claims ?? new LeaseClaims(o.client);
    const nodeSeen = (n: RoNode) => this.queue.add(n.metadata?.name ?? "");
    o.nodeInformer.addEventHandler({ add: nodeSeen, update: (_old, n) => nodeSeen(n), delete: nodeSeen });
    const claimSeen = (l: DeepReadonly<Lease>) => {
      const c = claimOf(l);
      if (c?.holder.node) this.queue.add(c.holder.node);
    };
    // A released range may be what a waiting node needs: look at those again now, not at their backoff.
    const claimGone = (l: DeepReadonly<Lease>) => {
      claimSeen(l);
      if (!claimOf(l)) return;
      for (const n of o.nodeInformer.store.list()) if (!n.spec?.podCidr) this.queue.add(n.metadata?.name ?? "");
    };
    o.leaseInformer.addEventHandler({ add: claimSeen, update: (_old, l) => claimSeen(l), delete: claimGone });
  }

  run(workers: number, signal: AbortSignal): Promise<void> {
    const { nodeInformer, leaseInformer, metrics } = this.o;
    const details = { clusterCidr: this.o.clusterCidr, maskSize: this.o.nodeCidrMaskSize };
    return runController({ name: CONTROLLER, queue: this.queue, informers: [nodeInformer, leaseInformer], workers, sync: (name) => this.sync(name), metrics, logger: this.log, details }, signal);
  }

  private claimsOf(node: string): { cidr: string; holder: Holder }[] {
    return this.o.leaseInformer.store
      .list()
      .map((l) => claimOf(l))
      .filter((c): c is { cidr: string; holder: Holder } => c !== undefined && c.holder.node === node);
  }

  /** Every range the caches show taken: Nodes' podCIDRs and the claims. */
  private usedSet(): CidrSet {
    const set = new CidrSet(this.o.clusterCidr, this.o.nodeCidrMaskSize);
    for (const n of this.o.nodeInformer.store.list()) {
      if (n.spec?.podCidr) set.occupy(n.spec.podCidr);
      for (const c of n.spec?.podCidrs ?? []) set.occupy(c);
    }
    for (const l of this.o.leaseInformer.store.list()) {
      const c = claimOf(l);
      if (c) set.occupy(c.cidr);
    }
    return set;
  }

  async sync(name: string): Promise<void> {
    const node = this.o.nodeInformer.store.get(name);
    const held = this.claimsOf(name);
    if (!node) {
      if (held.length === 0) return;
      // The cache may lag a node another replica just allocated for: ask the API before releasing.
      const live = await this.o.client.nodes.get(name).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      for (const c of held) {
        if (live && live.metadata?.uid === c.holder.uid) continue;
        await this.claims.release(c.cidr, c.holder);
        this.log.info({ node: name, podCIDR: c.cidr }, "podCIDR released");
      }
      return;
    }
    const uid = node.metadata?.uid ?? "";
    const podCidr = node.spec?.podCidr ?? "";
    for (const c of held) {
      if (c.holder.uid === uid && (!podCidr || c.cidr === podCidr)) continue;
      await this.claims.release(c.cidr, c.holder);
      this.log.info({ node: name, podCIDR: c.cidr, holderUid: c.holder.uid }, "stale podCIDR claim released");
    }
    const holder = { node: name, uid };
    if (podCidr) {
      const set = this.usedSet();
      if (!set.contains(podCidr) || held.some((c) => c.cidr === podCidr && c.holder.uid === uid)) return;
      // Set by someone else (or before claims existed): record it, so nobody hands it out again.
      const got = await this.claims.claim(podCidr, holder);
      if (got.node !== name) this.log.warn({ node: name, podCIDR: podCidr, heldBy: got.node }, "node's podCIDR is claimed by another node");
      return;
    }
    const own = held.find((c) => c.holder.uid === uid);
    let cidr: string;
    try {
      cidr = own?.cidr ?? (await allocate(this.usedSet(), this.claims, holder, this.o.clusterCidr));
    } catch (err) {
      if (err instanceof CidrExhaustedError) this.o.recorder?.event("Node", subject(node), "Warning", err.reason, err.message);
      throw err;
    }
    try {
      if (!(await this.writePodCidr(cloneCached("Node", node), cidr))) return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.claims.release(cidr, holder);
      return;
    }
    this.log.info({ node: name, podCIDR: cidr }, "podCIDR assigned");
    this.o.recorder?.event("Node", subject(node), "Normal", "CIDRAssignmentSucceeded", `Node ${name} got podCIDR ${cidr}`);
  }

  /**
   * Writes the range into the Node with its resourceVersion. The kubelet posts the Node's status every
   * few seconds, so a conflict is common: re-read it (a few times) and write again, unless it got a
   * podCIDR meanwhile (then false) or its uid changed (a new Node of that name: false, the claim's
   * holder no longer exists and the next sync releases it).
   */
  private async writePodCidr(node: Node, cidr: string): Promise<boolean> {
    const uid = node.metadata?.uid;
    let cur = node;
    for (let attempt = 0; ; attempt++) {
      cur.spec = { unschedulable: false, taints: [], providerId: "", ...cur.spec, podCidr: cidr, podCidrs: [cidr] };
      try {
        await this.o.client.nodes.update(cur);
        return true;
      } catch (err) {
        if (!isConflict(err) || attempt >= 4) throw err;
      }
      cur = await this.o.client.nodes.get(node.metadata?.name ?? "");
      if (cur.metadata?.uid !== uid || cur.spec?.podCidr) return false;
    }
  }
}

function subject(n: RoNode): { apiVersion: string; kind: string; metadata: Node["metadata"] } {
  return { apiVersion: "v1", kind: "Node", metadata: cloneCached("Node", n).metadata };
}
