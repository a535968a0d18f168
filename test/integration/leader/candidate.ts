// A leader-election candidate process for the election tests: campaigns for a Lease through the
// API and prints one JSON line per event on stdout ({event, identity, t}); SIGTERM shuts it down
// gracefully (releasing the Lease if it leads).
//   node candidate.js --server 127.0.0.1:PORT --identity a [--lease NAME] [--lease-ms 4000]
import { parseArgs } from "node:util";
import { connect } from "@mk/proto/client";
import { LeaderElector } from "@mk/proto/informer";

const { values } = parseArgs({
  options: {
    server: { type: "string" },
    identity: { type: "string" },
    lease: { type: "string", default: "mk-test-leader" },
    "lease-ms": { type: "string", default: "4000" },
  },
});
if (!values.server || !values.identity) {
  process.stderr.write("usage: candidate --server HOST:PORT --identity ID [--lease NAME] [--lease-ms MS]\n");
  process.exit(2);
}
const identity = values.identity;
const leaseMs = Number(values["lease-ms"]);

const print = (event: string, fields: object = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, identity, t: Date.now(), ...fields })}\n`);
};
const logLine = (level: string) => (obj: object, msg: string) => process.stderr.write(`${JSON.stringify({ level, msg, identity, ...obj })}\n`);

const cs = connect({ server: values.server, timeoutMs: 5_000 });
const stop = new AbortController();
process.on("SIGTERM", () => stop.abort());

// Kubernetes' proportions scaled to the lease: 15 s / 10 s / 2 s → 4 s / 3 s / 0.5 s.
const elector = new LeaderElector({
  client: cs,
  name: values.lease,
  identity,
  leaseDurationMs: leaseMs,
  renewDeadlineMs: Math.round(leaseMs * 0.75),
  retryPeriodMs: Math.round(leaseMs / 8),
  onStartedLeading: () => print("leading"),
  onStoppedLeading: () => print("stopped"),
  onNewLeader: (leader) => print("leader", { leader }),
  logger: { info: logLine("info"), warn: logLine("warn"), error: logLine("error") },
});

print("started");
await elector.run(stop.signal);
cs.close();
print("exit");
