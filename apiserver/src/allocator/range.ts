// The ranges the API server allocates from: the service CIDR (ClusterIPs) and the node port range,
// each mapped to the indexes 0..size-1 of a bitmap.

/** A range flag that does not parse. */
export class InvalidRangeError extends Error {}

/** Addresses of an IPv4 CIDR, without its network and broadcast addresses (as Kubernetes): a /28 has 14. */
export class IpRange {
  readonly base: number;
  readonly size: number;

  constructor(readonly cidr: string) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
    const prefix = Number(m?.[2]);
    const ip = m?.[1] ? parseIPv4(m[1]) : undefined;
    if (ip === undefined || !(prefix >= 8 && prefix <= 30)) throw new InvalidRangeError(`invalid service CIDR "${cidr}": want an IPv4 CIDR from /8 to /30`);
    const hostBits = 32 - prefix;
    this.base = ip - (ip % 2 ** hostBits);
    this.size = 2 ** hostBits - 2;
  }

  /** The index of an address in the range, or undefined when outside it. */
  indexOf(ip: string): number | undefined {
    const n = parseIPv4(ip);
    if (n === undefined) return undefined;
    const i = n - this.base - 1;
    return i >= 0 && i < this.size ? i : undefined;
  }

  ipAt(i: number): string {
    return formatIPv4(this.base + 1 + i);
  }
}

/** Ports from `min` to `max`, both included. */
export class PortRange {
  readonly size: number;

  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1 && max <= 65535 && min <= max)) throw new InvalidRangeError(`invalid port range ${min}-${max}`);
    this.size = max - min + 1;
  }

  static parse(s: string): PortRange {
    const m = /^(\d+)-(\d+)$/.exec(s);
    if (!m) throw new InvalidRangeError(`invalid port range "${s}": want e.g. 30000-32767`);
    return new PortRange(Number(m[1]), Number(m[2]));
  }

  get text(): string {
    return `${this.min}-${this.max}`;
  }

  indexOf(port: number): number | undefined {
    return port >= this.min && port <= this.max ? port - this.min : undefined;
  }

  portAt(i: number): number {
    return this.min + i;
  }
}

export function parseIPv4(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

export function isIPv4(s: string): boolean {
  return parseIPv4(s) !== undefined;
}
