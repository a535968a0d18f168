// The process around a replicated control-plane component (scheduler, controller manager): the flags
// both take, as kube-scheduler and kube-controller-manager spell them (the API server and its TLS,
// leader election, the health/metrics endpoint, the log level; each main adds its own beside them),
// and runReplica: signals become cancellation, /healthz /leader /metrics are served, the API client
// is made, and all of it is closed when the work ends.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import type { Clientset } from "../client/clientset.js";
import { connect, tlsFromFiles } from "../client/connect.js";
import { type MetricsSource, serveHealth } from "./health-server.js";
import { LEADER_ELECTION_NAMESPACE, leaderTimings } from "./leader.js";
import type { LeaderElectionConfig } from "./leadership.js";
import type { Logger } from "./logger.js";

export interface ReplicaDefaults {
  /** Whether --leader-elect is on unless turned off. */
  leaderElect: boolean;
  /** The Lease's name (in LEADER_ELECTION_NAMESPACE), for the usage text: "mk-scheduler". */
  lease: string;
  /** --http-listen's default, e.g. 127.0.0.1:10251. */
  httpListen: string;
}

/** parseArgs options (use with allowNegative and normalizeLeaderElectArgs). */
export function replicaFlags(d: ReplicaDefaults) {
  return {
    server: { type: "string", default: "127.0.0.1:6443" },
    "tls-ca": { type: "string" },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    "leader-elect": { type: "boolean", default: d.leaderElect },
    "lease-duration": { type: "string", default: "15" },
    identity: { type: "string", default: `${hostname()}_${randomUUID()}` },
    "http-listen": { type: "string", default: d.httpListen },
    "log-level": { type: "string", default: "info" },
    help: { type: "boolean", short: "h", default: false },
  } as const;
}

/** Parses the command line: replicaFlags plus the component's own options. */
export function parseReplicaArgs<O extends ParseArgsOptionsConfig>(d: ReplicaDefaults, options: O, argv: readonly string[] = process.argv.slice(2)) {
  return parseArgs({ args: normalizeLeaderElectArgs(argv), allowNegative: true, options: { ...replicaFlags(d), ...options } }).values;
}

/** Usage lines for replicaFlags. */
export function replicaUsage(d: ReplicaDefaults): string {
  return `  --server                       the API server (default 127.0.0.1:6443)
  --leader-elect                 hold Lease ${LEADER_ELECTION_NAMESPACE}/${d.lease} to run (default ${d.leaderElect};
                                 --leader-elect=false or --no-leader-elect for a single replica)
  --lease-duration               seconds a standby waits before taking over (default 15)
  --identity                     this replica's name in the Lease (default HOSTNAME_UUID)
  --http-listen                  serve /healthz, /leader and /metrics here (default ${d.httpListen}; "" for none)
  --tls-ca/--tls-cert/--tls-key FILE   mutual TLS to the API server (\`mkctl cluster init\` makes them)
  --log-level                    pino level (default info)`;
}

/** kube's spelling `--leader-elect=false|true` as parseArgs' boolean flags (with allowNegative). */
export function normalizeLeaderElectArgs(argv: readonly string[]): string[] {
  return argv.map((a) => (a === "--leader-elect=false" ? "--no-leader-elect" : a === "--leader-elect=true" ? "--leader-elect" : a));
}

/** The election the flags ask for; undefined with --leader-elect=false. */
export function leaderElectionFromFlags(values: { "leader-elect": boolean; "lease-duration": string; identity: string }): LeaderElectionConfig | undefined {
  if (!values["leader-elect"]) return undefined;
  const v = values["lease-duration"];
  const seconds = Number(v);
  if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`--lease-duration: must be a positive integer number of seconds, got ${JSON.stringify(v)}`);
  return leaderTimings(values.identity, seconds * 1000);
}

/** The API client the flags ask for (a bad TLS flag combination is an error naming them). */
export function connectFromFlags(values: { server: string; "tls-ca"?: string | undefined; "tls-cert"?: string | undefined; "tls-key"?: string | undefined }, userAgent: string): Clientset {
  return connect({ server: values.server, userAgent, tls: tlsFromFiles({ ca: values["tls-ca"], cert: values["tls-cert"], key: values["tls-key"] }) });
}

/** The values of replicaFlags after parsing. */
export interface ReplicaValues {
  server: string;
  "tls-ca"?: string | undefined;
  "tls-cert"?: string | undefined;
  "tls-key"?: string | undefined;
  "leader-elect": boolean;
  "lease-duration": string;
  identity: string;
  "http-listen": string;
}

/** What the work of a replica gets. */
export interface ReplicaContext {
  client: Clientset;
  /** Aborts on SIGINT or SIGTERM. */
  signal: AbortSignal;
  leaderElection: LeaderElectionConfig | undefined;
  /** Pass to the component: /leader and the log follow it. */
  onLeading(leading: boolean): void;
}

/**
 * Runs work inside a replica's process wiring; resolves true when a signal asked it to stop, false
 * when the work ended by itself (leadership lost: the caller exits non-zero so a supervisor restarts it).
 */
export async function runReplica(o: { component: string; values: ReplicaValues; registry: MetricsSource; logger: Logger; work(ctx: ReplicaContext): Promise<void> }): Promise<boolean> {
  const { values, logger: log } = o;
  const leaderElection = leaderElectionFromFlags(values);
  const abort = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      log.info({ signal: sig }, "shutting down");
      abort.abort();
    });
  }
  const client = connectFromFlags(values, o.component);
  // Without election this replica leads from the start (as far as /leader is concerned).
  let leading = !leaderElection;
  const onLeading = (l: boolean) => {
    leading = l;
    log.info({ leading: l, identity: values.identity }, "leadership changed");
  };
  let http: Awaited<ReturnType<typeof serveHealth>>;
  try {
    const listen = values["http-listen"];
    http = await serveHealth({ listen, registry: o.registry, isLeader: () => leading });
    if (http) log.info({ address: listen }, "serving /healthz, /leader and /metrics");
    await o.work({ client, signal: abort.signal, leaderElection, onLeading });
  } finally {
    client.close();
    http?.close();
  }
  return abort.signal.aborted;
}
