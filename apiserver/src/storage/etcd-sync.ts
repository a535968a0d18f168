// etcd's members as they are now, not as `--etcd-servers` named them at start (clientv3's
// AutoSyncInterval): every interval the storage asks etcd for its MemberList and, when the started
// voters' client URLs differ from the endpoints in use, switches to them. The configured endpoints are
// only the seed: a member joined later (`mkctl cluster join --control-plane`, the VM script) is used
// from the next sync on, and one removed is dropped. Learners (they serve no reads) and members added
// but not started (no client URLs yet) are left out; an empty answer never replaces the list.
import type { IMember } from "etcd3";

/** A member as MemberList reports it: only what the choice of endpoints looks at. */
export type ListedMember = Pick<IMember, "name" | "clientURLs" | "isLearner">;

/** A client URL as etcd3 and the watch clients take it: no trailing slash. */
export function normalizeEndpoint(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

/** The client URLs of the started voters, deduplicated and sorted. */
export function memberEndpoints(members: readonly ListedMember[]): string[] {
  const urls = new Set<string>();
  for (const m of members) {
    if (m.isLearner || !m.name) continue; // a learner serves no reads; no name: added, never started
    for (const u of m.clientURLs ?? []) {
      const n = normalizeEndpoint(u);
      if (n) urls.add(n);
    }
  }
  return [...urls].sort();
}

/** Whether two endpoint lists name the same members (order and trailing slashes aside). */
export function sameEndpoints(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a.map(normalizeEndpoint));
  const y = new Set(b.map(normalizeEndpoint));
  return x.size === y.size && [...x].every((e) => y.has(e));
}

/**
 * The endpoints to switch to after a MemberList, or undefined to stay: the started voters' client
 * URLs when they differ from `current`; never an empty list.
 */
export function nextEndpoints(current: readonly string[], members: readonly ListedMember[]): string[] | undefined {
  const listed = memberEndpoints(members);
  if (listed.length === 0 || sameEndpoints(current, listed)) return undefined;
  return listed;
}

export interface MemberSyncOptions {
  /** How often to ask (ms); 0 or less: never. */
  everyMs: number;
  /** etcd's MemberList, through the storage's own client (its deadline and breakers). */
  list: () => Promise<readonly ListedMember[]>;
  /** The endpoints in use now. */
  current: () => string[];
  /** Switches to `endpoints`. */
  apply: (endpoints: string[]) => void;
  /** A MemberList that failed (etcd unreachable: the list in use stays), for the log. */
  onError?: (err: unknown) => void;
}

/** The loop: one MemberList per interval, never two at once. */
export class MemberSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly o: MemberSyncOptions) {}

  start(): void {
    if (this.o.everyMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.sync().finally(() => {
        this.running = undefined;
      });
    }, this.o.everyMs);
    this.timer.unref();
  }

  /** One round: asks for the members and switches when they changed. Answers whether it switched. */
  async sync(): Promise<boolean> {
    let members: readonly ListedMember[];
    try {
      members = await this.o.list();
    } catch (err) {
      this.o.onError?.(err);
      return false;
    }
    if (this.stopped) return false; // the storage closed while the list was asked for
    const next = nextEndpoints(this.o.current(), members);
    if (!next) return false;
    this.o.apply(next);
    return true;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
