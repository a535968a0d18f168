// IPv4 CIDR arithmetic shared by the node IPAM controller (carving podCIDRs out of --cluster-cidr),
// the kubelet (which podCIDRs need a route) and mkctl (validating --cluster-cidr). Addresses are
// unsigned 32-bit numbers; a CIDR is its first address and prefix length.

export interface Cidr {
  /** The network address (host bits zero), as an unsigned 32-bit number. */
  readonly base: number;
  readonly bits: number;
}

/** Bad CIDR or address text; the message names the input. */
export class CidrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CidrError";
  }
}

/** "10.244.1.7" → 0x0af40107; throws CidrError on anything but four decimal octets. */
export function parseIPv4(s: string): number {
  const parts = s.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new CidrError(`${JSON.stringify(s)} is not an IPv4 address`);
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** "10.244.0.0/16"; host bits must be zero, as Kubernetes' --cluster-cidr validation wants. */
export function parseCidr(s: string): Cidr {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(s);
  if (!m) throw new CidrError(`${JSON.stringify(s)} is not a CIDR (want e.g. 10.244.0.0/16)`);
  const bits = Number(m[2]);
  if (bits > 32) throw new CidrError(`${JSON.stringify(s)}: prefix length ${bits} is over 32`);
  const ip = parseIPv4(m[1] ?? "");
  const base = ip - (ip % blockSize(bits));
  if (base !== ip) throw new CidrError(`${JSON.stringify(s)} has host bits set (did you mean ${formatIPv4(base)}/${bits}?)`);
  return { base, bits };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.bits}`;
}

/** Addresses in a block of this prefix length: /24 → 256. */
export function blockSize(bits: number): number {
  return 2 ** (32 - bits);
}

export function cidrContainsIp(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + blockSize(c.bits);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContainsIp(a, b.base) || cidrContainsIp(b, a.base);
}

/** Whether the address text lies in the CIDR text (false for text that parses as neither). */
export function ipInCidr(ip: string, cidr: string): boolean {
  try {
    return cidrContainsIp(parseCidr(cidr), parseIPv4(ip));
  } catch {
    return false; // not an address or not a CIDR: in no range
  }
}
