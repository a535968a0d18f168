// Which etcd members unary calls may go to. etcd3 picks a member at random for each call and its
// per-member breaker opens only on UNAVAILABLE; a member whose link drops packets, or whose process
// is frozen, answers nothing, so every call sent to it waits out its deadline (and the client's retry
// may meet it again). Every second each member is asked for its Status (a 2 s deadline); a member
// that fails, or reports no leader, twice in a row has its breaker held open (calls go to the
// others) until it answers with a leader again. The last member not held open is never held: with
// nowhere else to go, calls try it.
import type { CircuitBreakerPolicy } from "cockatiel";
import { Etcd3, type IOptions } from "etcd3";
import { noop } from "cockatiel";

export interface MemberProbeOptions {
  endpoints: string[];
  credentials?: IOptions["credentials"];
  everyMs?: number;
  timeoutMs?: number;
  /** A member held open or let go, for the log. */
  onChange?: (endpoint: string, held: boolean, why: string) => void;
}

export class MemberProbe {
  private readonly clients: Etcd3[];
  private readonly failures: number[];
  private readonly held = new Map<number, { dispose(): void }>();
  private timer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(
    private readonly o: MemberProbeOptions,
    /** Each member's breaker (etcd3's per-host fault handling), in endpoint order. */
    private readonly breakers: CircuitBreakerPolicy[],
  ) {
    this.clients = o.endpoints.map(
      (hosts) => new Etcd3({ hosts, dialTimeout: 2_000, credentials: o.credentials, faultHandling: { host: () => noop, global: noop } }),
    );
    this.failures = o.endpoints.map(() => 0);
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.probing) return;
      this.probing = true;
      void this.round().finally(() => {
        this.probing = false;
      });
    }, this.o.everyMs ?? 1_000);
    this.timer.unref();
  }

  /** The members whose breaker is held open now. */
  heldEndpoints(): string[] {
    return [...this.held.keys()].map((i) => this.o.endpoints[i] ?? "");
  }

  private async round(): Promise<void> {
    const timeoutMs = this.o.timeoutMs ?? 2_000;
    const answers = await Promise.all(
      this.clients.map(async (c) => {
        try {
          const s = await c.maintenance.status({ deadline: Date.now() + timeoutMs });
          return s.leader === "0" ? "it has no leader" : "";
        } catch (err) {
          return `no answer: ${err instanceof Error ? err.message : String(err)}`;
        }
      }),
    );
    answers.forEach((why, i) => {
      if (!why) {
        this.failures[i] = 0;
        const h = this.held.get(i);
        if (h) {
          h.dispose();
          this.held.delete(i);
          this.o.onChange?.(this.o.endpoints[i] ?? "", false, "answers with a leader");
        }
        return;
      }
      this.failures[i] = (this.failures[i] ?? 0) + 1;
      if (this.held.has(i) || (this.failures[i] ?? 0) < 2) return;
      if (this.held.size + 1 >= this.clients.length) return; // never the last one
      const breaker = this.breakers[i];
      if (!breaker) return;
      this.held.set(i, breaker.isolate());
      this.o.onChange?.(this.o.endpoints[i] ?? "", true, why);
    });
  }

  /**
   * Runs `call` on every member at once, each over the probe's own connection to it (no breaker in
   * the way); the first to succeed answers, and the others' failures are ignored. Rejects with an
   * AggregateError when all fail.
   */
  async first<T>(call: (client: Etcd3) => Promise<T>): Promise<T> {
    return await Promise.any(this.clients.map(call));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const h of this.held.values()) h.dispose();
    this.held.clear();
    for (const c of this.clients) c.close();
  }
}
