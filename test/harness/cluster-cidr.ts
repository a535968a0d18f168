// A cluster CIDR of its own for each test cluster: the suite runs several clusters on one host and
// one Docker engine at once, and two pod networks on overlapping ranges would collide (Docker
// refuses the second; routes would mix). A /16 of 10.128-191.0.0, random, and none this host already
// routes (each pod network's bridge puts a route to its podCIDR on the host).
import { execFileSync } from "node:child_process";

export function freeClusterCidr(): string {
  const routes = execFileSync("ip", ["-4", "route", "show"], { encoding: "utf8" });
  for (let tries = 0; tries < 64; tries++) {
    const second = 128 + Math.floor(Math.random() * 64);
    if (!routes.includes(`10.${second}.`)) return `10.${second}.0.0/16`;
  }
  throw new Error("no free 10.128-191.0.0/16 for a test cluster: too many pod networks on this host");
}

/** The first /24 of a /16 cluster CIDR: a podCIDR for a kubelet run without node IPAM (--pod-cidr). */
export function firstPodCidr(clusterCidr: string): string {
  return clusterCidr.replace(/\.0\.0\/16$/, ".0.0/24");
}

/**
 * A Service range of its own for each test cluster: the local clusters' node proxies all write into
 * the host's network namespace, and two clusters on one range would both claim 10.96.0.1 (the
 * `kubernetes` Service) and whichever's jump comes first would take the other's traffic. A /24 of
 * 10.200-239.x.0, random (unrouted: ClusterIPs are only ever DNAT'ed).
 */
export function freeServiceRange(): string {
  return `10.${200 + Math.floor(Math.random() * 40)}.${Math.floor(Math.random() * 256)}.0/24`;
}
