// One allocation: the lowest range this replica believes free, claimed through the API; a range
// someone else claimed meanwhile is marked used and the next one tried.
import type { CidrSet } from "./cidr-set.js";
import { type Holder, type RangeClaims, sameHolder } from "./claims.js";

/** Every range of the cluster CIDR is taken (Kubernetes' reason: CIDRNotAvailable). */
export class CidrExhaustedError extends Error {
  readonly reason = "CIDRNotAvailable";
  constructor(cluster: string, size: number) {
    super(`no podCIDR left: all ${size} ranges of ${cluster} are taken`);
    this.name = "CidrExhaustedError";
  }
}

/** Claims a free range of `set` for holder and returns it; `set` records what was found taken. */
export async function allocate(set: CidrSet, claims: RangeClaims, holder: Holder, clusterCidr: string): Promise<string> {
  for (;;) {
    const cidr = set.firstFree();
    if (cidr === undefined) throw new CidrExhaustedError(clusterCidr, set.size);
    set.occupy(cidr);
    const got = await claims.claim(cidr, holder);
    if (sameHolder(got, holder)) return cidr;
  }
}
