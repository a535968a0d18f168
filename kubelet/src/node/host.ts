// The machine the kubelet runs on: its addresses (and the check of --node-ip), capacity, pressure,
// and the system info a Node reports.
import { readFile, statfs } from "node:fs/promises";
import { arch, cpus, freemem, networkInterfaces, release, totalmem } from "node:os";
import { BlockList, isIP } from "node:net";

export class NodeIpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NodeIpError";
  }
}

// Interfaces Docker makes on the host; their addresses are never the node's.
const RUNTIME_IFACE = /^(docker\d*|br-|veth|cni|flannel)/;

/** The host's non-loopback, non-runtime addresses (IPv4 first). */
export function hostAddresses(): string[] {
  const out: string[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (RUNTIME_IFACE.test(name)) continue;
    for (const a of addrs ?? []) if (!a.internal && !a.address.startsWith("fe80:")) out.push(a.address);
  }
  return out.sort((a, b) => Number(a.includes(":")) - Number(b.includes(":")));
}

/** Whether ip is an address of this host: on an interface, or inside a loopback interface's subnet (127.0.0.N). */
export function isLocalAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.address === ip) return true;
      if (a.internal && a.cidr && (family === 4) === (a.family === "IPv4")) {
        const [net = "", bits = "0"] = a.cidr.split("/");
        const bl = new BlockList();
        bl.addSubnet(net, Number(bits), family === 4 ? "ipv4" : "ipv6");
        if (bl.check(ip, family === 4 ? "ipv4" : "ipv6")) return true;
      }
    }
  }
  return false;
}

/**
 * The node's IP: the flag, which must be an address of this host, or the host's only address. With
 * several candidates it must be given: guessing would publish hostPorts and the kubelet's endpoint on
 * an address other nodes may not reach.
 */
export function resolveNodeIp(flag: string | undefined): string {
  if (flag) {
    if (isIP(flag) === 0) throw new NodeIpError(`--node-ip ${JSON.stringify(flag)} is not an IP address`);
    if (!isLocalAddress(flag)) throw new NodeIpError(`--node-ip ${flag} is not an address of this host`);
    return flag;
  }
  const v4 = hostAddresses().filter((a) => isIP(a) === 4);
  if (v4.length === 1 && v4[0]) return v4[0];
  if (v4.length === 0) throw new NodeIpError("this host has no IPv4 address besides loopback: give --node-ip");
  throw new NodeIpError(`this host has several addresses (${v4.join(", ")}): give --node-ip`);
}

export interface Capacity {
  cpu: string;
  memory: string;
  pods: string;
}

/** From the host unless given: cpu in cores, memory in Ki (as Kubernetes reports it), 110 pods. */
export function hostCapacity(over: Partial<Capacity> = {}): Capacity {
  return {
    cpu: over.cpu ?? String(cpus().length),
    memory: over.memory ?? `${Math.floor(totalmem() / 1024)}Ki`,
    pods: over.pods ?? "110",
  };
}

export interface Pressure {
  memory: boolean;
  disk: boolean;
}

/**
 * Kubernetes' default hard eviction thresholds: memory.available < 100Mi, nodefs.available < 10%.
 * dataRoot is where the runtime keeps containers (Docker's /var/lib/docker, or / when absent).
 */
export async function hostPressure(dataRoot = "/var/lib/docker"): Promise<Pressure> {
  let disk = false;
  for (const path of [dataRoot, "/"]) {
    try {
      const s = await statfs(path);
      disk = s.bavail / s.blocks < 0.1;
      break;
    } catch {
      // absent path: try the next one
    }
  }
  return { memory: freemem() < 100 * 1024 * 1024, disk };
}

async function readTrim(path: string): Promise<string> {
  return (await readFile(path, "utf8").catch(() => "")).trim();
}

export async function osImage(): Promise<string> {
  const text = await readTrim("/etc/os-release");
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
  return m?.[1] ?? "Linux";
}

export async function machineIds(): Promise<{ machineId: string; bootId: string }> {
  return { machineId: await readTrim("/etc/machine-id"), bootId: await readTrim("/proc/sys/kernel/random/boot_id") };
}

export function kernelVersion(): string {
  return release();
}

export function architecture(): string {
  const a = arch();
  return a === "x64" ? "amd64" : a;
}
