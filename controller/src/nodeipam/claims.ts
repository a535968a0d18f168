// Who holds a podCIDR, decided by the API server: a range is claimed by creating the Lease
// mk-system/podcidr-<address>-<bits> (create-if-absent is atomic), held by "<node>/<uid>". Two
// controller managers racing for one range both try to create the same object: one gets it, the
// other gets AlreadyExists and moves on. The Node's spec.podCIDR is written only after its claim is
// held, so no range is ever handed to two nodes, even while leadership changes hands.
import { emptyMeta, Lease } from "@mk/proto";
import { type Clientset, isAlreadyExists, isNotFound } from "@mk/proto/client";
import type { DeepReadonly } from "@mk/proto/informer";

export const CLAIM_NAMESPACE = "mk-system";
export const CLAIM_PREFIX = "podcidr-";
/** Marks the claim Leases (so `mkctl get leases -n mk-system` tells them from the leader Lease). */
export const CLAIM_LABEL = "mk.io/node-ipam";

export interface Holder {
  node: string;
  uid: string;
}

export interface RangeClaims {
  /** Claims the range for holder unless someone holds it; returns whoever holds it afterwards. */
  claim(cidr: string, holder: Holder): Promise<Holder>;
  /** Drops the claim if holder still holds it (a claim already gone is fine). */
  release(cidr: string, holder: Holder): Promise<void>;
}

export const sameHolder = (a: Holder, b: Holder) => a.node === b.node && a.uid === b.uid;

/** "10.244.3.0/24" → "podcidr-10.244.3.0-24" (a DNS subdomain: no "/"). */
export function claimName(cidr: string): string {
  return `${CLAIM_PREFIX}${cidr.replace("/", "-")}`;
}

export function holderIdentity(h: Holder): string {
  return `${h.node}/${h.uid}`;
}

function parseHolder(identity: string): Holder {
  const i = identity.lastIndexOf("/");
  return i < 0 ? { node: identity, uid: "" } : { node: identity.slice(0, i), uid: identity.slice(i + 1) };
}

/** The range and holder of a claim Lease; undefined for any other Lease. */
export function claimOf(l: DeepReadonly<Lease>): { cidr: string; holder: Holder } | undefined {
  const name = l.metadata?.name ?? "";
  if (l.metadata?.namespace !== CLAIM_NAMESPACE || !name.startsWith(CLAIM_PREFIX) || !l.metadata.labels?.[CLAIM_LABEL]) return undefined;
  const rest = name.slice(CLAIM_PREFIX.length);
  const dash = rest.lastIndexOf("-");
  if (dash < 0) return undefined;
  return { cidr: `${rest.slice(0, dash)}/${rest.slice(dash + 1)}`, holder: parseHolder(l.spec?.holderIdentity ?? "") };
}

/** Claims as Leases through the API. */
export class LeaseClaims implements RangeClaims {
  private readonly cs: Clientset;
  private readonly now: () => Date;

  constructor(cs: Clientset, now: () => Date = () => new Date()) {
    this.cs = cs;
    this.now = now;
  }

  async claim(cidr: string, holder: Holder): Promise<Holder> {
    const lease = Lease.fromPartial({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: emptyMeta({ name: claimName(cidr), namespace: CLAIM_NAMESPACE, labels: { [CLAIM_LABEL]: "podcidr" } }),
      spec: { holderIdentity: holderIdentity(holder), acquireTime: this.now().toISOString() },
    });
    try {
      await this.cs.leases.create(lease);
      return holder;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    try {
      const cur = await this.cs.leases.get(claimName(cidr), CLAIM_NAMESPACE);
      return parseHolder(cur.spec?.holderIdentity ?? "");
    } catch (err) {
      // Released between our create and this read: report it held by nobody; the caller retries later.
      if (isNotFound(err)) return { node: "", uid: "" };
      throw err;
    }
  }

  async release(cidr: string, holder: Holder): Promise<void> {
    try {
      const cur = await this.cs.leases.get(claimName(cidr), CLAIM_NAMESPACE);
      if (!sameHolder(parseHolder(cur.spec?.holderIdentity ?? ""), holder)) return;
      // Preconditions: a claim re-made for another holder since our read is not ours to delete.
      await this.cs.leases.delete(claimName(cidr), CLAIM_NAMESPACE, { preconditions: { uid: cur.metadata?.uid ?? "", resourceVersion: cur.metadata?.resourceVersion ?? "" } });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}
