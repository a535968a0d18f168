#!/usr/bin/env node
// mk-kubelet: parses flags, wires the kubelet, and turns SIGTERM/SIGINT into a graceful stop.
import { clusterHash } from "@mk/proto";
import { connect } from "@mk/proto/client";
import { pino } from "pino";
import { parseFlags, USAGE } from "./flags.js";
import { Kubelet } from "./kubelet.js";
import { DockerPodNetwork } from "./network/docker-network.js";
import { FlockOwnership, lockPath } from "./proxy/owner.js";
import { Proxier } from "./proxy/proxier.js";
import { DockerRuntime } from "./runtime/docker.js";

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const log = pino({ name: "mk-kubelet", level: flags.logLevel }).child({ node: flags.options.nodeName });
  const cs = connect({ server: flags.server, userAgent: `mk-kubelet/${flags.options.nodeName}`, tls: flags.tls });
  const rt = new DockerRuntime(flags.dockerSocket ? { socketPath: flags.dockerSocket } : {});
  const net = new DockerPodNetwork({ nodeName: flags.options.nodeName, clusterId: flags.options.clusterId, clusterCidr: flags.clusterCidr, socketPath: flags.dockerSocket }, log);
  const proxyLog = log.child({ component: "proxy" });
  const proxy =
    flags.proxy.mode === "iptables"
      ? new Proxier(
          cs,
          { clusterId: flags.options.clusterId, clusterCidr: flags.clusterCidr, minSyncMs: flags.proxy.minSyncMs, syncPeriodMs: flags.proxy.syncPeriodMs },
          new FlockOwnership(lockPath(clusterHash(flags.options.clusterId)), proxyLog),
          proxyLog,
        )
      : undefined;
  const kubelet = new Kubelet(cs, rt, flags.options, log, net, proxy);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(1); // a second signal: stop waiting
    log.info({ signal }, "shutting down");
    kubelet.stop().then(
      () => {
        cs.close();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  await kubelet.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`mk-kubelet: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
