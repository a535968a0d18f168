// Compaction so etcd never fills: every interval, compact to the revision seen one interval
// ago, so the last 5 minutes of history stay watchable (kube-apiserver does the same).
import type { Logger } from "pino";
import type { EtcdStorage } from "../storage/etcd.js";

export class Compactor {
  private timer: NodeJS.Timeout | undefined;
  private previous: string | undefined;

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

  /** One round: compact to the revision remembered last round, remember the current one. */
  async tick(): Promise<void> {
    try {
      const current = await this.storage.currentRevision();
      const target = this.previous;
      this.previous = current;
      if (target && Number(target) > 1) {
        await this.storage.compact(target);
        this.log.info({ revision: target }, "etcd compacted");
      }
    } catch (err) {
      // Another API server may have compacted further already; any other failure waits a round.
      this.log.warn({ err }, "etcd compaction failed");
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
