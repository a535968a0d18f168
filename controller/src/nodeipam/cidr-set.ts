// The podCIDRs of one cluster CIDR, as Kubernetes' cidrset: --cluster-cidr cut into blocks of
// --node-cidr-mask-size, each used or free. 10.244.0.0/16 with /24 blocks is 2^(24-16) = 256 node
// ranges: 10.244.0.0/24 is block 0, 10.244.255.0/24 block 255. In memory only: who holds a block is
// decided by the claims (claims.ts), this set only remembers what this replica has seen taken.
import { blockSize, type Cidr, CidrError, cidrContainsIp, formatCidr, parseCidr } from "@mk/proto";

export class CidrSet {
  readonly cluster: Cidr;
  readonly maskSize: number;
  /** Number of node ranges. */
  readonly size: number;
  private readonly used = new Set<number>();

  constructor(clusterCidr: string, maskSize: number) {
    this.cluster = parseCidr(clusterCidr);
    if (!Number.isInteger(maskSize) || maskSize < this.cluster.bits || maskSize > 30) {
      throw new CidrError(`node CIDR mask size ${maskSize} must lie between the cluster CIDR's ${this.cluster.bits} and 30`);
    }
    this.maskSize = maskSize;
    this.size = 2 ** (maskSize - this.cluster.bits);
  }

  /** The block index of a node range, or undefined when it is not one of this set's blocks. */
  private index(cidr: string): number | undefined {
    let c: Cidr;
    try {
      c = parseCidr(cidr);
    } catch {
      return undefined; // not a CIDR: not ours to track
    }
    if (c.bits !== this.maskSize || !cidrContainsIp(this.cluster, c.base)) return undefined;
    return (c.base - this.cluster.base) / blockSize(this.maskSize);
  }

  /** The range of block i. */
  cidrAt(i: number): string {
    return formatCidr({ base: this.cluster.base + i * blockSize(this.maskSize), bits: this.maskSize });
  }

  /** Whether the text is one of this set's blocks (in the cluster CIDR, of the mask size). */
  contains(cidr: string): boolean {
    return this.index(cidr) !== undefined;
  }

  /** Marks a range used; one outside the cluster CIDR is ignored. */
  occupy(cidr: string): void {
    const i = this.index(cidr);
    if (i !== undefined) this.used.add(i);
  }

  release(cidr: string): void {
    const i = this.index(cidr);
    if (i !== undefined) this.used.delete(i);
  }

  isUsed(cidr: string): boolean {
    const i = this.index(cidr);
    return i !== undefined && this.used.has(i);
  }

  /** Used ranges, counted. */
  get usedCount(): number {
    return this.used.size;
  }

  /** The lowest free range, or undefined when every one is used. */
  firstFree(): string | undefined {
    for (let i = 0; i < this.size; i++) if (!this.used.has(i)) return this.cidrAt(i);
    return undefined;
  }
}
