// Leader election on a Lease object in the API (never etcd directly), as client-go's leaderelection:
//
//   acquire: every retryPeriod, create the Lease, or take it over when its holder let it expire or
//            released it; every write is a compare-and-swap on resourceVersion, so of two candidates
//            racing for the same Lease exactly one wins and the other gets a conflict.
//   lead:    onStartedLeading(signal) runs; every retryPeriod the Lease is renewed. When no renewal
//            succeeded for renewDeadline (or someone else holds the Lease), leadership is lost: the
//            signal aborts and onStoppedLeading runs.
//   release: on shutdown the holder clears holderIdentity, so a standby takes over at its next try
//            instead of waiting out the lease.
//
// A standby never trusts the holder's renewTime (the holder's clock may be wrong): it judges the
// lease expired leaseDuration after IT last saw the Lease record change, on its own monotonic clock.
//
// Why the three durations must nest (defaults 15 s > 10 s > 2 s; the 4 s test lease uses 4 s > 3 s >
// 0.5 s): the holder gives up renewDeadline (3 s) after its last successful renewal, the standby
// takes over leaseDuration (4 s) after it saw that renewal, so the old leader has stopped ~1 s before
// the new one starts; a SIGKILLed leader is replaced within leaseDuration + retryPeriod × 1.2 ≈ 4.6 s.
import { emptyMeta } from "../api/kinds.js";
import type { CallOpts } from "../client/clientset.js";
import { ConflictError, isAlreadyExists, isNotFound } from "../client/errors.js";
import { Lease, type LeaseSpec } from "../gen/mk/v1/coordination.js";
import { type Clock, realClock } from "./clock.js";
import { errField, type Logger, noopLogger } from "./logger.js";

/** Where the control plane's components hold their Leases. */
export const LEADER_ELECTION_NAMESPACE = "mk-system";

/** The calls the elector makes: a Clientset's `leases` fits. */
export interface LeaseClient {
  get(name: string, namespace?: string, opts?: CallOpts): Promise<Lease>;
  create(obj: Lease, opts?: CallOpts): Promise<Lease>;
  update(obj: Lease, opts?: CallOpts): Promise<Lease>;
}

export interface LeaderElectorOptions {
  client: { leases: LeaseClient };
  /** Default "mk-system". */
  namespace?: string;
  /** The Lease's name, e.g. "mk-scheduler". */
  name: string;
  /** Unique per candidate, e.g. `${hostname}_${uuid}`. */
  identity: string;
  /** How long a standby waits, after it last saw the Lease change, before taking it over. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leadership. Default 10 s. */
  renewDeadlineMs?: number;
  /** Between attempts to acquire or renew. Default 2 s. */
  retryPeriodMs?: number;
  /**
   * Runs when this candidate becomes leader; the signal aborts when leadership ends. May return at
   * once (work started in the background) or when the work ends; if it rejects, leadership is given
   * up and released, so a healthy standby takes over.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Runs when leadership ends, lost or released. */
  onStoppedLeading?(): void;
  /** Runs when a different holder is observed (including this candidate). */
  onNewLeader?(identity: string): void;
  /** Clear holderIdentity on shutdown so a standby takes over at once. Default true. */
  releaseOnCancel?: boolean;
  /** Monotonic clock for expiry and retries. */
  clock?: Clock;
  /** Wall clock for acquireTime/renewTime (informational only). */
  wallClock?: () => Date;
  logger?: Logger;
}

/**
 * A candidate's timings from its lease duration alone, in client-go's proportions (15 s lease,
 * 10 s renew deadline, 2 s retry), for components whose only flag is --lease-duration.
 */
export function leaderTimings(identity: string, leaseDurationMs: number): { identity: string; leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number } {
  return {
    identity,
    leaseDurationMs,
    renewDeadlineMs: Math.round((leaseDurationMs * 2) / 3),
    retryPeriodMs: Math.max(100, Math.round(leaseDurationMs / 7.5)),
  };
}

/** RFC 3339 with microseconds, as Kubernetes' MicroTime: 2025-01-02T03:04:05.678000Z. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/Z$/, "000Z");
}

type Attempt = "ok" | "held" | "failed";

const JITTER = 0.2;

export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectorOptions, "onStoppedLeading" | "onNewLeader" | "logger">> &
    Pick<LeaderElectorOptions, "onStoppedLeading" | "onNewLeader">;
  private readonly log: Logger;
  /** The Lease as last read or written, and when (own clock) its record last changed. */
  private observed: Lease | undefined;
  private observedRecord = "";
  private observedTime = 0;
  private reportedLeader = "";
  private leading = false;

  constructor(opts: LeaderElectorOptions) {
    this.o = {
      client: opts.client,
      name: opts.name,
      identity: opts.identity,
      onStartedLeading: opts.onStartedLeading,
      onStoppedLeading: opts.onStoppedLeading,
      onNewLeader: opts.onNewLeader,
      namespace: opts.namespace ?? LEADER_ELECTION_NAMESPACE,
      leaseDurationMs: opts.leaseDurationMs ?? 15_000,
      renewDeadlineMs: opts.renewDeadlineMs ?? 10_000,
      retryPeriodMs: opts.retryPeriodMs ?? 2_000,
      releaseOnCancel: opts.releaseOnCancel ?? true,
      clock: opts.clock ?? realClock,
      wallClock: opts.wallClock ?? (() => new Date()),
    };
    this.log = opts.logger ?? noopLogger;
    const { leaseDurationMs: lease, renewDeadlineMs: renew, retryPeriodMs: retry } = this.o;
    if (!(lease > renew)) throw new Error(`leaseDurationMs (${lease}) must be greater than renewDeadlineMs (${renew})`);
    if (!(renew > retry * (1 + JITTER))) throw new Error(`renewDeadlineMs (${renew}) must be greater than 1.2 × retryPeriodMs (${retry})`);
    if (!(retry > 0)) throw new Error("retryPeriodMs must be positive");
    if (!opts.identity) throw new Error("identity is required");
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder this candidate last observed ("" when none). */
  getLeader(): string {
    return this.observed?.spec?.holderIdentity ?? "";
  }

  /**
   * Campaigns until leader, leads until leadership is lost or the signal aborts, then returns
   * (releasing the Lease on abort). To campaign again after a loss, call run again — or, as
   * client-go's users do, exit and let the process restart. It returns once the promise of
   * onStartedLeading (if any) has settled: the work must end when its signal aborts.
   */
  async run(signal: AbortSignal): Promise<void> {
    const ctx = { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity };
    if (!(await this.acquire(signal))) return;
    if (signal.aborted) {
      // Stopped while the winning write was in flight: never lead; hand the Lease straight back.
      if (this.o.releaseOnCancel) await this.release();
      return;
    }
    this.log.info(ctx, "became leader");
    this.leading = true;
    const leading = new AbortController();
    const onAbort = () => leading.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    let workFailed = false;
    const work = (async () => this.o.onStartedLeading(leading.signal))().catch((err: unknown) => {
      workFailed = true;
      this.log.error({ ...ctx, ...errField(err) }, "leader's work failed; giving up leadership");
      leading.abort(err);
    });
    const lost = await this.renewLoop(leading.signal);
    signal.removeEventListener("abort", onAbort);
    leading.abort(new Error("leadership ended"));
    this.leading = false;
    if (lost) {
      // Someone else may lead already: stop at once, without waiting for the work to wind down.
      this.log.warn(ctx, "leadership lost");
      this.o.onStoppedLeading?.();
      await work;
      return;
    }
    // Graceful: the work stops before the Lease is released, so two leaders never overlap.
    await work;
    if (this.o.releaseOnCancel || workFailed) await this.release();
    this.log.info(ctx, "stopped leading");
    this.o.onStoppedLeading?.();
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if ((await this.tryAcquireOrRenew(this.o.renewDeadlineMs)) === "ok") return true;
      try {
        await this.o.clock.sleep(this.o.retryPeriodMs * (1 + Math.random() * JITTER), signal);
      } catch {
        return false; // aborted while waiting
      }
    }
    return false;
  }

  /** Renews every retryPeriod; true when leadership was lost, false when the signal ended it. */
  private async renewLoop(signal: AbortSignal): Promise<boolean> {
    const clock = this.o.clock;
    let lastRenew = clock.now();
    for (;;) {
      try {
        await clock.sleep(this.o.retryPeriodMs, signal);
      } catch {
        return false; // stopping
      }
      // Each attempt must end before the deadline, so a hung call cannot keep a stale leader leading.
      const remaining = this.o.renewDeadlineMs - (clock.now() - lastRenew);
      const res = remaining > 0 ? await this.tryAcquireOrRenew(remaining) : "failed";
      if (signal.aborted) return false;
      if (res === "ok") {
        lastRenew = clock.now();
        continue;
      }
      if (res === "held") return true;
      if (clock.now() - lastRenew >= this.o.renewDeadlineMs) return true;
    }
  }

  private async tryAcquireOrRenew(timeoutMs: number): Promise<Attempt> {
    const { namespace, name, identity, clock } = this.o;
    const call: CallOpts = { timeoutMs: Math.max(1, Math.round(timeoutMs)), retry: false };
    const now = microTime(this.o.wallClock());
    let cur: Lease;
    try {
      cur = await this.o.client.leases.get(name, namespace, call);
    } catch (err) {
      if (!isNotFound(err)) {
        this.log.warn({ lease: `${namespace}/${name}`, ...errField(err) }, "lease read failed");
        return "failed";
      }
      const fresh = Lease.fromPartial({
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: emptyMeta({ name, namespace }),
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
          acquireTime: now,
          renewTime: now,
          leaseTransitions: 0,
        },
      });
      try {
        this.observe(await this.o.client.leases.create(fresh, call));
        return "ok";
      } catch (err2) {
        // AlreadyExists: another candidate created it first; the next try reads it.
        if (!isAlreadyExists(err2)) this.log.warn({ lease: `${namespace}/${name}`, ...errField(err2) }, "lease create failed");
        return "failed";
      }
    }
    this.observe(cur);
    const holder = cur.spec?.holderIdentity ?? "";
    const seconds = cur.spec?.leaseDurationSeconds ?? 0;
    const durationMs = seconds > 0 ? seconds * 1000 : this.o.leaseDurationMs;
    if (holder !== "" && holder !== identity && this.observedTime + durationMs > clock.now()) return "held";
    const next = Lease.fromPartial({ ...cur, spec: this.spec(cur.spec, now) });
    try {
      this.observe(await this.o.client.leases.update(next, call));
      return "ok";
    } catch (err) {
      // Conflict: someone wrote the Lease since we read it (a renewal, or a rival's takeover).
      if (!(err instanceof ConflictError)) this.log.warn({ lease: `${namespace}/${name}`, ...errField(err) }, "lease update failed");
      return "failed";
    }
  }

  /**
   * The record after this candidate acquires or renews: a renewal keeps acquireTime and the
   * transition count; a takeover (from a rival, or from a released Lease) counts one more transition.
   */
  private spec(old: LeaseSpec | undefined, now: string): LeaseSpec {
    const renewing = old?.holderIdentity === this.o.identity;
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      acquireTime: renewing ? old.acquireTime : now,
      renewTime: now,
      leaseTransitions: (old?.leaseTransitions ?? 0) + (renewing ? 0 : 1),
    };
  }

  /** Notes the Lease; when its record changed, restarts the expiry countdown from now (own clock). */
  private observe(lease: Lease): void {
    this.observed = lease;
    const s = lease.spec;
    const record = JSON.stringify([s?.holderIdentity, s?.leaseDurationSeconds, s?.acquireTime, s?.renewTime, s?.leaseTransitions]);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedTime = this.o.clock.now();
    }
    const holder = s?.holderIdentity ?? "";
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.o.onNewLeader?.(holder);
    }
  }

  /** Clears holderIdentity so a standby acquires at its next try. Best effort: the lease expires anyway. */
  private async release(): Promise<void> {
    const cur = this.observed;
    if (!cur?.spec || cur.spec.holderIdentity !== this.o.identity) return;
    const now = microTime(this.o.wallClock());
    const released = Lease.fromPartial({
      ...cur,
      spec: { ...cur.spec, holderIdentity: "", leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
    });
    try {
      this.observe(await this.o.client.leases.update(released, { timeoutMs: this.o.renewDeadlineMs, retry: false }));
      this.log.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, "lease released");
    } catch (err) {
      this.log.warn({ lease: `${this.o.namespace}/${this.o.name}`, ...errField(err) }, "lease release failed; it will expire");
    }
  }
}
