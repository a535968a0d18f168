#!/usr/bin/env node
// mk-scheduler: flags → client, metrics endpoint, leader election, the scheduler. Wiring only.
import { parseReplicaArgs, replicaUsage, runReplica } from "@mk/proto/informer";
import { pino } from "pino";
import { Registry, collectDefaultMetrics } from "prom-client";
import { newMetrics } from "./metrics.js";
import { LEASE_NAME, runScheduler } from "./run.js";

const REPLICA = { leaderElect: false, lease: LEASE_NAME, httpListen: "127.0.0.1:10251" };

const USAGE = `Usage: mk-scheduler [--server HOST:PORT] [--leader-elect] [--http-listen HOST:PORT]
${replicaUsage(REPLICA)}
  --max-binds-in-flight          Bind calls outstanding at once (default 64)`;

async function main(): Promise<number> {
  const values = parseReplicaArgs(REPLICA, { "max-binds-in-flight": { type: "string", default: "64" } } as const);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = pino({ name: "mk-scheduler", level: values["log-level"] });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = newMetrics(registry);
  const maxBindsInFlight = Number(values["max-binds-in-flight"]);
  await runReplica({
    component: "mk-scheduler",
    values,
    registry,
    logger: log,
    work: ({ client, signal, leaderElection, onLeading }) => runScheduler(signal, { client, logger: log, metrics, maxBindsInFlight, leaderElection, onLeading }),
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`mk-scheduler: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
