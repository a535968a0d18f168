#!/usr/bin/env node
// mk-scheduler: flags → client, metrics endpoint, leader election, the scheduler. Wiring only.
import { parseArgs } from "node:util";
import { connect, tlsFromFiles } from "@mk/proto/client";
import { leaderElectionFlags, leaderElectionFromFlags, leaderElectionUsage, normalizeLeaderElectArgs, serveHealth } from "@mk/proto/informer";
import { pino } from "pino";
import { Registry, collectDefaultMetrics } from "prom-client";
import { newMetrics } from "./metrics.js";
import { LEASE_NAME, LEASE_NAMESPACE, runScheduler } from "./run.js";

const USAGE = `Usage: mk-scheduler [--server HOST:PORT] [--leader-elect] [--http-listen HOST:PORT]
  --server                       the API server (default 127.0.0.1:6443)
${leaderElectionUsage(`${LEASE_NAMESPACE}/${LEASE_NAME}`, false)}
  --max-binds-in-flight          Bind calls outstanding at once (default 64)
  --http-listen                  serve /healthz and /metrics here (default 127.0.0.1:10251; "" for none)
  --tls-ca/--tls-cert/--tls-key FILE   mutual TLS to the API server (\`mkctl cluster init\` makes them)
  --log-level                    pino level (default info)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: normalizeLeaderElectArgs(process.argv.slice(2)),
    allowNegative: true,
    options: {
      server: { type: "string", default: "127.0.0.1:6443" },
      "tls-ca": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      ...leaderElectionFlags(false),
      "http-listen": { type: "string", default: "127.0.0.1:10251" },
      "log-level": { type: "string", default: "info" },
      "max-binds-in-flight": { type: "string", default: "64" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const leaderElection = leaderElectionFromFlags(values);
  const log = pino({ name: "mk-scheduler", level: values["log-level"] });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = newMetrics(registry);

  const abort = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      log.info({ signal: sig }, "shutting down");
      abort.abort();
    });
  }

  let leading = !values["leader-elect"];
  const listen = values["http-listen"];
  const http = await serveHealth({ listen, registry: registry, isLeader: () => leading });
  if (http) log.info({ address: listen }, "serving /healthz and /metrics");

  const client = connect({ server: values.server, userAgent: "mk-scheduler", tls: tlsFromFiles({ ca: values["tls-ca"], cert: values["tls-cert"], key: values["tls-key"] }) });
  try {
    await runScheduler(abort.signal, {
      client,
      logger: log,
      metrics,
      maxBindsInFlight: Number(values["max-binds-in-flight"]),
      leaderElection,
      onLeading: (l) => {
        leading = l;
      },
    });
  } finally {
    client.close();
    http?.close();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`mk-scheduler: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
