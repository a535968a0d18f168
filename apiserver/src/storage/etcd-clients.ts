// The unary side of the storage's etcd client for one list of members: an etcd3 client (a deadline
// and `hasleader` on every call, a breaker per member) and, with several members, the probe that holds
// a silent member's breaker open (etcd-members.ts). When etcd's members change (etcd-sync.ts) the
// storage builds a new set for the new list and retires the old one, which closes once the calls it
// carries have finished or passed their deadline.
import { type CallOptions, InterceptingCall, type Interceptor } from "@grpc/grpc-js";
import { type CircuitBreakerPolicy, ConsecutiveBreaker, circuitBreaker, handleWhen, noop } from "cockatiel";
import { Etcd3, GRPCUnavailableError, type IOptions } from "etcd3";
import { MemberProbe } from "./etcd-members.js";

/**
 * etcd's `hasleader: true` metadata on a call: a member without a leader answers UNAVAILABLE
 * "etcdserver: no leader" at once instead of holding the call until its deadline.
 */
const requireLeader: Interceptor = (options, nextCall) =>
  new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      metadata.set("hasleader", "true");
      next(metadata, listener);
    },
  });

export interface UnaryClientsOptions {
  /** Deadline of each call (ms). */
  timeoutMs: number;
  credentials?: IOptions["credentials"];
  /** A member that calls stop or start being sent to (etcd-members.ts), for the log. */
  onMemberHeld?: ((endpoint: string, held: boolean, why: string) => void) | undefined;
}

export class UnaryClients {
  readonly client: Etcd3;
  /** With several members: each member's Status every second, and its own connection to each. */
  readonly probe: MemberProbe | undefined;
  private inflight = 0;
  private retired = false;
  private closed = false;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly endpoints: readonly string[],
    o: UnaryClientsOptions,
  ) {
    const opts: IOptions = {
      hosts: [...endpoints],
      dialTimeout: 5_000,
      grpcOptions: { "grpc.keepalive_time_ms": 10_000, "grpc.keepalive_timeout_ms": 5_000 },
      // Every call etcd3 makes gets a deadline and `hasleader`, including any a method of the storage
      // forgets to give options to; a method's own options only add to these.
      defaultCallOptions: (ctx): CallOptions =>
        ctx.isStream ? { interceptors: [requireLeader] } : { deadline: Date.now() + o.timeoutMs, interceptors: [requireLeader] },
      credentials: o.credentials,
    };
    const breakers = new Map<string, CircuitBreakerPolicy>();
    // etcd3's default circuit breaker stops sending to a host for 5 s after 3 failures: with several
    // members that routes around a dead one, but with a single member it only turns a short stall
    // into 5 s of refused requests.
    if (endpoints.length === 1) opts.faultHandling = { host: () => noop };
    // With several members: a member is skipped only when it is unreachable (UNAVAILABLE: refused,
    // reset) three times in a row, for 1 s before it is tried again. etcd3's default also counts
    // deadlines — under load every member is slow at once and the breakers of all three opened
    // together, refusing every call for 5 s. Nothing is re-sent here: a transaction whose member died
    // mid-call may have been applied, and re-sent it would answer NotFound (a delete) or Conflict for
    // a write that worked. UNAVAILABLE goes back to the client, whose retry is idempotent
    // (proto/src/client/resource.ts; a create's uid is its request id, see the storage's create).
    else {
      const unreachable = handleWhen((err) => err instanceof GRPCUnavailableError);
      opts.faultHandling = {
        host: (host) => {
          const b = circuitBreaker(unreachable, { halfOpenAfter: 1_000, breaker: new ConsecutiveBreaker(3) });
          breakers.set(host, b);
          return b;
        },
        global: noop,
      };
    }
    this.client = new Etcd3(opts);
    // A member that answers nothing (a cut link, a frozen process) never trips a breaker that counts
    // only UNAVAILABLE: a probe holds its breaker open instead.
    if (endpoints.length > 1) {
      const policies = endpoints.map((e) => breakers.get(e)).filter((b): b is CircuitBreakerPolicy => b !== undefined);
      if (policies.length === endpoints.length) {
        this.probe = new MemberProbe({ endpoints: [...endpoints], credentials: o.credentials, onChange: o.onMemberHeld }, policies);
        this.probe.start();
      }
    }
  }

  /** Runs one call on this set's clients; a retired set closes after its last call. */
  async run<T>(call: (c: UnaryClients) => Promise<T>): Promise<T> {
    this.inflight++;
    try {
      return await call(this);
    } finally {
      this.inflight--;
      if (this.retired && this.inflight === 0) this.close();
    }
  }

  /**
   * No new call comes here: closes now when idle, else after the last call in flight, or after
   * `graceMs` at the latest (every call has a deadline shorter than that). Closed at once, etcd3
   * would refuse a call still on its way to a member's connection (ClientClosedError); grpc-js lets
   * the calls already sent finish either way.
   */
  retire(graceMs: number): void {
    this.retired = true;
    if (this.inflight === 0) {
      this.close();
      return;
    }
    this.closeTimer = setTimeout(() => this.close(), graceMs);
    this.closeTimer.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.probe?.stop();
    this.client.close();
  }
}
