// The lab's one host rule: frames between two lab nodes cross the lab's bridge, and with
// br_netfilter loaded the host's FORWARD chain sees them, where Docker's policy drops what is not
// its own. mk's chain MK-LAB-<hash6> accepts traffic within the bridge (in and out on it), and gets
// one tagged jump from DOCKER-USER (FORWARD when Docker made none). Written with iptables-restore
// --noflush (only mk's chain is replaced); removed by `cluster down`.
import { execFile } from "node:child_process";
import { must, run } from "./exec.js";
import type { LabLayout } from "./layout.js";

export interface LabHostRules {
  chain: string;
  comment: string;
  text: string;
}

/** The chain and the iptables-restore text of a lab's host rule. */
export function labHostRules(layout: LabLayout): LabHostRules {
  const tag = layout.bridge.slice("mkl-".length);
  const chain = `MK-LAB-${tag}`;
  const comment = `mk-lab-${tag}`;
  const text = ["*filter", `:${chain} - [0:0]`, `-A ${chain} -i ${layout.bridge} -o ${layout.bridge} -m comment --comment ${comment} -j ACCEPT`, "COMMIT", ""].join("\n");
  return { chain, comment, text };
}

async function parentChain(): Promise<string> {
  return (await run("iptables", ["-w", "-S", "DOCKER-USER", "1"])).code === 0 ? "DOCKER-USER" : "FORWARD";
}

const jump = (parent: string, r: LabHostRules, op: string) => ["-w", "-t", "filter", op, parent, "-m", "comment", "--comment", r.comment, "-j", r.chain];

/** iptables-restore --noflush with the text on stdin (mk's chain is replaced, nothing else touched). */
export function restore(text: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = execFile("iptables-restore", ["-w", "--noflush"], { timeout: 30_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`iptables-restore --noflush: ${String(stderr).trim() || err.message}`)) : resolve(),
    );
    child.stdin?.end(text);
  });
}

export async function labHostRulesUp(layout: LabLayout): Promise<void> {
  const r = labHostRules(layout);
  await restore(r.text);
  const parent = await parentChain();
  if ((await run("iptables", jump(parent, r, "-C"))).code !== 0) await must("iptables", jump(parent, r, "-I"));
}

/** Removes the jumps (from wherever they are) and the chain; returns whether anything was there. */
export async function labHostRulesDown(layout: LabLayout): Promise<boolean> {
  const r = labHostRules(layout);
  let removed = false;
  for (const parent of ["DOCKER-USER", "FORWARD"]) {
    while ((await run("iptables", jump(parent, r, "-C"))).code === 0) {
      await must("iptables", jump(parent, r, "-D"));
      removed = true;
    }
  }
  if ((await run("iptables", ["-w", "-t", "filter", "-S", r.chain])).code === 0) {
    await must("iptables", ["-w", "-t", "filter", "-F", r.chain]);
    await must("iptables", ["-w", "-t", "filter", "-X", r.chain]);
    removed = true;
  }
  return removed;
}
