// The proxy's side of the kernel: read which chains of this cluster exist, write the ruleset, put the
// one tagged jump into each chain mk does not own (nat PREROUTING and OUTPUT, filter INPUT and
// OUTPUT), and delete UDP conntrack entries of a Service port whose endpoints changed.
import type { ProxyNames } from "@mk/proto";
import { run, must } from "../network/exec.js";
import { applyRules } from "../network/iptables.js";
import type { Jump } from "../network/rules.js";
import { chainsIn } from "./ruleset.js";

export function proxyJumps(names: ProxyNames): Jump[] {
  return [
    { table: "nat", parent: "PREROUTING", chain: names.servicesChain, comment: names.comment },
    { table: "nat", parent: "OUTPUT", chain: names.servicesChain, comment: names.comment },
    { table: "filter", parent: "INPUT", chain: names.filterChain, comment: names.comment },
    { table: "filter", parent: "OUTPUT", chain: names.filterChain, comment: names.comment },
  ];
}

export interface ProxyKernel {
  /** This cluster's per service port and per endpoint nat chains, as the kernel has them. */
  natChains(names: ProxyNames): Promise<string[]>;
  /** Writes the text; with jumps, also checks (and puts back) each jump. */
  write(text: string, jumps: Jump[] | undefined): Promise<void>;
  /** Forgets UDP flows to ip:port (a stale DNAT would keep sending them to a gone endpoint). */
  clearUdp(ip: string | undefined, port: number): Promise<void>;
}

export const iptablesKernel: ProxyKernel = {
  async natChains(names) {
    return chainsIn(await must("iptables-save", ["-t", "nat"]), [names.svcPrefix, names.sepPrefix]);
  },
  async write(text, jumps) {
    if (jumps) await applyRules(text, jumps);
    else await must("iptables-restore", ["-w", "--noflush"], text);
  },
  async clearUdp(ip, port) {
    const args = ["-D", "-p", "udp", ...(ip ? ["--orig-dst", ip] : []), "--orig-port-dst", String(port)];
    const r = await run("conntrack", args);
    // conntrack exits 1 when there was nothing to delete ("0 flow entries have been deleted").
    if (r.code !== 0 && !/0 flow entries/.test(r.stderr)) throw new Error(`conntrack ${args.join(" ")}: ${r.stderr.trim()}`);
  },
};
