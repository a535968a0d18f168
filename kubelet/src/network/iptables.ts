// Writes the rule text with iptables-restore --noflush (mk's chains only) and puts the one tagged
// jump into each chain mk does not own. Several kubelets of one cluster may share a host's network
// namespace (the local cluster): each writes the same text, and the check-then-insert of a jump runs
// under a host-wide lock so two of them never insert it twice.
import { run, must } from "./exec.js";
import { type Jump, jumpArgs } from "./rules.js";

const LOCK = "/run/mk-podnet.lock";

/** DOCKER-USER when Docker made it (its FORWARD rules come after it), else FORWARD itself. */
export async function filterParent(): Promise<string> {
  return (await run("iptables", ["-w", "-t", "filter", "-S", "DOCKER-USER", "1"])).code === 0 ? "DOCKER-USER" : "FORWARD";
}

/** Makes an empty chain unless it exists (never flushes it: its rules are another writer's). */
export async function ensureChain(table: string, chain: string): Promise<void> {
  const r = await run("iptables", ["-w", "-t", table, "-N", chain]);
  if (r.code !== 0 && !/exists/i.test(r.stderr)) throw new Error(`iptables -t ${table} -N ${chain}: ${r.stderr.trim()}`);
}

export async function applyRules(text: string, jumps: Jump[]): Promise<void> {
  await must("iptables-restore", ["-w", "--noflush"], text);
  for (const j of jumps) {
    const check = ["iptables", ...jumpArgs(j, "-C")].join(" ");
    const insert = ["iptables", ...jumpArgs(j, "-I")].join(" ");
    // Arguments are chain names and a comment without spaces or quotes: safe in a shell line.
    await must("flock", ["-w", "10", LOCK, "sh", "-c", `${check} 2>/dev/null || ${insert}`]);
  }
}
