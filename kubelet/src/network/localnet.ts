// route_localnet on mk's own pod bridge only, never host-wide (CVE-2020-8558: with it on for every
// device, a neighbour could reach services bound to 127.0.0.1). The kernel checks the INPUT device
// for a packet to 127.0.0.0/8 and the OUTPUT device for one from 127.0.0.0/8, so turning it on for
// the bridge lets a pod's packet DNAT'ed to a loopback endpoint (the local cluster's API server and
// DNS at 127.0.0.1) be delivered, and its reply (source 127.0.0.1, back to the bridge) be routed; and
// lets the host reach a NodePort on a loopback node address (127.0.0.x DNAT'ed to a pod, leaving on
// the bridge, then masqueraded by MK-MASQ). The proxy's filter chain drops what else would reach
// 127.0.0.0/8 from outside loopback (kube-proxy's mitigation: unless conntrack says DNAT).
import { readdir, readFile, writeFile } from "node:fs/promises";

/**
 * Turns route_localnet on for `device`; false when the device is not in this process's network
 * namespace (a Docker engine that lives in another namespace than the kubelet, as in the VM test's
 * namespace sharing the host's engine): then loopback endpoints are out of the pods' reach, nothing
 * else changes.
 */
export async function setRouteLocalnet(device: string): Promise<boolean> {
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(device)) throw new Error(`bad device name ${JSON.stringify(device)}`);
  try {
    await writeFile(`/proc/sys/net/ipv4/conf/${device}/route_localnet`, "1\n");
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/**
 * Hairpin mode on every port of a pod bridge (kubenet's hairpin-veth): a pod reaching its own
 * Service is DNAT'ed back to itself, and with br_netfilter the bridge forwards that frame at layer 2
 * out of the port it came in by, which a bridge port refuses unless hairpin_mode is on. Docker turns
 * it on only without its userland proxy; the kubelet does it for its own bridge. Returns how many
 * ports it changed.
 */
export async function setHairpin(bridge: string): Promise<number> {
  let ports: string[];
  try {
    ports = await readdir(`/sys/class/net/${bridge}/brif`);
  } catch {
    return 0; // no bridge (yet)
  }
  let changed = 0;
  for (const port of ports) {
    const f = `/sys/class/net/${bridge}/brif/${port}/hairpin_mode`;
    try {
      if ((await readFile(f, "utf8")).trim() === "1") continue;
      await writeFile(f, "1\n");
      changed++;
    } catch {
      // The port went away meanwhile (its pod stopped).
    }
  }
  return changed;
}
