// route_localnet on mk's own pod bridge only, never host-wide (CVE-2020-8558: with it on for every
// device, a neighbour could reach services bound to 127.0.0.1). The kernel checks the INPUT device
// for a packet to 127.0.0.0/8 and the OUTPUT device for one from 127.0.0.0/8, so turning it on for
// the bridge lets a pod's packet DNAT'ed to a loopback endpoint (the local cluster's API server and
// DNS at 127.0.0.1) be delivered, and its reply (source 127.0.0.1, back to the bridge) be routed; and
// lets the host reach a NodePort on a loopback node address (127.0.0.x DNAT'ed to a pod, leaving on
// the bridge, then masqueraded by MK-MASQ). The proxy's filter chain drops what else would reach
// 127.0.0.0/8 from outside loopback (kube-proxy's mitigation: unless conntrack says DNAT).
import { writeFile } from "node:fs/promises";

export async function setRouteLocalnet(device: string): Promise<void> {
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(device)) throw new Error(`bad device name ${JSON.stringify(device)}`);
  await writeFile(`/proc/sys/net/ipv4/conf/${device}/route_localnet`, "1\n");
}
