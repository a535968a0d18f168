// Compaction so etcd never fills, one API server at a time. As kube-apiserver's compactor
// (storage/etcd3/compact.go): every interval each API server tries a compare-and-swap on one key,
// `compact_rev_key`, expecting the version it last saw. The one that wins writes the revision it
// remembered from its previous round and compacts to it (so the last interval of history stays
// watchable); the others fail, learn the key's new version and etcd's current revision, and try
// again next round. With several API servers that is one compaction per interval across the cluster;
// when the winner dies, another's next CAS succeeds one interval later.
//
//   t=0   A: version 0 == 0 → put, A expects 1, remembers rev r0 (no compaction: nothing remembered)
//   t=20  B: version 1 != 0 → B expects 1, remembers rev r20
//   t=60  A: version 1 == 1 → put, compact to r0, remembers r60
//   t=80  B: version 2 != 1 → B expects 2, remembers r80 …
import type { Logger } from "pino";
import type { EtcdStorage } from "../storage/etcd.js";

/** The key every API server of the cluster compares and swaps (kube-apiserver's name for it). */
export const COMPACT_REV_KEY = "compact_rev_key";

export class Compactor {
  private timer: NodeJS.Timeout | undefined;
  /** The revision seen at our last round: what the next successful round compacts to. */
  private previous = "0";
  /** The key's version we expect: the one our last CAS wrote or found. */
  private version = 0;

  constructor(
    private readonly storage: EtcdStorage,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** One round; resolves with the revision compacted to, or undefined when another server's turn or nothing to do. */
  async tick(): Promise<string | undefined> {
    try {
      const target = this.previous;
      const r = await this.storage.claimCompaction(COMPACT_REV_KEY, this.version, target);
      this.version = r.version;
      this.previous = r.revision;
      if (!r.claimed || Number(target) <= 1) return undefined;
      await this.storage.compact(target);
      this.log.info({ revision: target }, "etcd compacted");
      return target;
    } catch (err) {
      // A compaction past ours (etcd says "required revision has been compacted") or etcd away: next round.
      this.log.warn({ err }, "etcd compaction failed");
      return undefined;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
