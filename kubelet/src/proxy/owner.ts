// One owner of the proxy's rules per cluster and network namespace. The local cluster's kubelets
// all run in the host's namespace, where one set of rules serves every node; the lab's each have a
// namespace of their own, and so each own theirs. The owner is whoever holds an exclusive flock on
// /run/mk-proxy-<cluster hash>-<netns inode>.lock: the kernel drops the lock the instant the holder
// dies (a SIGKILL included), so a standby takes over at once, without the API (which a Lease would
// need, and whose TTL would leave the rules unowned for its duration) and without a node identity
// allowed to write shared Leases. Node has no flock(2), so the lock is held by a `flock` child whose
// command reads our stdin: when this process dies its end of the pipe closes, `cat` exits, and the
// lock goes with it.
import { type ChildProcess, spawn } from "node:child_process";
import { readlinkSync } from "node:fs";
import type { Logger } from "pino";

export interface Ownership {
  /** Resolves true once this process owns the rules (false if the signal aborted first). */
  acquire(signal: AbortSignal): Promise<boolean>;
  /** Called when ownership is lost (the lock holder died); the owner campaigns again. */
  onLost(fn: () => void): void;
  readonly owned: boolean;
  release(): void;
}

/** The inode of this process's network namespace: "4026531840" for `net:[4026531840]`. */
export function netnsId(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/net"))?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function lockPath(clusterHash: string): string {
  return `/run/mk-proxy-${clusterHash}-${netnsId()}.lock`;
}

export class FlockOwnership implements Ownership {
  private child: ChildProcess | undefined;
  private lost: (() => void) | undefined;
  owned = false;

  constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {}

  onLost(fn: () => void): void {
    this.lost = fn;
  }

  acquire(signal: AbortSignal): Promise<boolean> {
    if (this.owned) return Promise.resolve(true);
    return new Promise((resolve) => {
      // `flock FILE sh -c 'echo; exec cat'`: blocks until the lock is ours, says so on stdout, then
      // holds it for as long as our stdin stays open.
      const child = spawn("flock", ["-x", this.path, "sh", "-c", "echo owned; exec cat >/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
      this.child = child;
      let settled = false;
      const settle = (v: boolean) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      };
      const onAbort = () => {
        this.release();
        settle(false);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      child.stdout?.on("data", () => {
        if (this.owned || this.child !== child) return;
        this.owned = true;
        this.log.info({ lock: this.path }, "proxy: owning this network namespace's rules");
        settle(true);
      });
      child.stderr?.on("data", (d: Buffer) => this.log.warn({ lock: this.path, stderr: d.toString().trim() }, "proxy: lock holder"));
      child.on("exit", (code) => {
        if (this.child !== child) return;
        this.child = undefined;
        const was = this.owned;
        this.owned = false;
        if (!settled) {
          this.log.warn({ lock: this.path, code }, "proxy: lock holder exited before owning; retrying");
          setTimeout(() => this.acquire(signal).then(settle), 1_000).unref();
          return;
        }
        if (was) {
          this.log.warn({ lock: this.path, code }, "proxy: lock holder exited; ownership lost");
          this.lost?.();
        }
      });
    });
  }

  release(): void {
    const c = this.child;
    this.child = undefined;
    this.owned = false;
    if (c) {
      c.stdin?.end();
      c.kill("SIGTERM");
    }
  }
}
