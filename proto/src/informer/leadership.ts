// The way a replicated component (scheduler, controller manager) runs its work: alone, at once, or —
// with leader election — only while it holds its Lease. One place for the wiring both used to copy.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { LeaderElector, type LeaseClient, leaderTimings } from "./leader.js";
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
  /** The Lease, e.g. mk-system/mk-scheduler. */
  namespace: string;
  name: string;
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
  const lease = `${o.namespace}/${o.name}`;
  const elector = new LeaderElector({
    client: o.client,
    namespace: o.namespace,
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

/** The parseArgs options every replicated component takes for leader election. */
export function leaderElectionFlags(leaderElectByDefault: boolean) {
  return {
    "leader-elect": { type: "boolean", default: leaderElectByDefault },
    "lease-duration": { type: "string", default: "15" },
    identity: { type: "string", default: `${hostname()}_${randomUUID()}` },
  } as const;
}

/** Usage lines for leaderElectionFlags, naming the Lease. */
export function leaderElectionUsage(lease: string, leaderElectByDefault: boolean): string {
  return `  --leader-elect                 hold Lease ${lease} to run (default ${leaderElectByDefault};
                                 --leader-elect=false or --no-leader-elect for a single replica)
  --lease-duration               seconds a standby waits before taking over (default 15)
  --identity                     this replica's name in the Lease (default HOSTNAME_UUID)`;
}

/** The election the flags ask for; undefined with --leader-elect=false. */
export function leaderElectionFromFlags(values: { "leader-elect": boolean; "lease-duration": string; identity: string }): LeaderElectionConfig | undefined {
  if (!values["leader-elect"]) return undefined;
  const v = values["lease-duration"];
  const seconds = Number(v);
  if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`--lease-duration: must be a positive integer number of seconds, got ${JSON.stringify(v)}`);
  return leaderTimings(values.identity, seconds * 1000);
}

/** kube's spelling `--leader-elect=false|true` as parseArgs' boolean flags (with allowNegative). */
export function normalizeLeaderElectArgs(argv: readonly string[]): string[] {
  return argv.map((a) => (a === "--leader-elect=false" ? "--no-leader-elect" : a === "--leader-elect=true" ? "--leader-elect" : a));
}
