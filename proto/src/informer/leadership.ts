// The way a replicated component (scheduler, controller manager) runs its work: alone, at once, or —
// with leader election — only while it holds its Lease. One place for the wiring both used to copy.
import { LEADER_ELECTION_NAMESPACE, LeaderElector, type LeaseClient } from "./leader.js";
import { type Logger, noopLogger } from "./logger.js";

/** A candidate's identity and durations (leaderTimings makes them from a lease duration). */
export interface LeaderElectionConfig {
  identity: string;
  leaseDurationMs?: number | undefined;
  renewDeadlineMs?: number | undefined;
  retryPeriodMs?: number | undefined;
}

export interface LeadershipOptions {
  client: { leases: LeaseClient };
  /** The Lease's name, e.g. mk-scheduler. */
  name: string;
  /** Default LEADER_ELECTION_NAMESPACE (mk-system). */
  namespace?: string | undefined;
  /** Absent: no election, run at once (a single replica). */
  election?: LeaderElectionConfig | undefined;
  logger?: Logger | undefined;
  /** Told true before run starts, false once leadership ends (at once when lost, before run winds down). */
  onLeading?: ((leading: boolean) => void) | undefined;
  /** The work; its signal aborts when the outer signal does or leadership is lost. */
  run(signal: AbortSignal): Promise<void>;
}

/**
 * Runs o.run while this replica leads (always, without election) and returns when it has ended:
 * the signal aborted, or leadership was lost (campaigning again is the caller's choice).
 */
export async function runWithLeaderElection(o: LeadershipOptions, signal: AbortSignal): Promise<void> {
  let leading = false;
  const setLeading = (l: boolean) => {
    if (l === leading) return;
    leading = l;
    o.onLeading?.(l);
  };
  const lead = async (s: AbortSignal) => {
    setLeading(true);
    try {
      await o.run(s);
    } finally {
      setLeading(false);
    }
  };
  const le = o.election;
  if (!le) {
    await lead(signal);
    return;
  }
  const log = o.logger ?? noopLogger;
  const namespace = o.namespace ?? LEADER_ELECTION_NAMESPACE;
  const lease = `${namespace}/${o.name}`;
  const elector = new LeaderElector({
    client: o.client,
    namespace,
    name: o.name,
    identity: le.identity,
    leaseDurationMs: le.leaseDurationMs,
    renewDeadlineMs: le.renewDeadlineMs,
    retryPeriodMs: le.retryPeriodMs,
    logger: log,
    onStartedLeading: lead,
    onStoppedLeading: () => setLeading(false),
    onNewLeader: (holder) => log.info({ lease, leader: holder }, "observed leader"),
  });
  await elector.run(signal);
}
