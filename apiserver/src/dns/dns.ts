// The cluster DNS of one API server, assembled: the Service/EndpointSlice cache, the zone, the
// forwarder, the UDP+TCP listener on the advertise address, and this server's entry in the
// kube-system/kube-dns Service (registry/self-service.ts). Why here and not in a pod: see
// ARCHITECTURE.md ("Cluster DNS").
import { readFileSync } from "node:fs";
import { DEFAULT_CLUSTER_DOMAIN, hostResolvConfPath, parseResolvConf, SYSTEMD_RESOLVED_STUB } from "@mk/proto";
import type { Registry } from "prom-client";
import type { Logger } from "pino";
import type { EtcdStorage } from "../storage/etcd.js";
import type { WatchHub } from "../watch/hub.js";
import { DnsCache } from "./cache.js";
import { Forwarder, parseUpstream } from "./forward.js";
import { DnsMetrics } from "./metrics.js";
import { ClusterZone } from "./records.js";
import { DnsHandler, startDnsServer } from "./server.js";

export interface ClusterDnsOptions {
  /** The port to answer on, UDP and TCP (the kube-dns Service's targetPort); 0 picks a free one. */
  port: number;
  /** Upstream resolvers, IP or IP:PORT (--dns-upstream); default: the host's (hostUpstreams). */
  upstreams?: string[] | undefined;
  /** The cluster zone (--cluster-domain); default cluster.local. */
  clusterDomain?: string | undefined;
}

export interface ClusterDns {
  port: number;
  zone: ClusterZone;
  stop(): Promise<void>;
}

/**
 * The host's real resolvers: /etc/resolv.conf's nameservers, or systemd-resolved's upstream list when
 * /etc/resolv.conf names its stub (127.0.0.53, which would forward back into the host's stub and is
 * unreachable from pods anyway). Never the stub itself.
 */
export function hostUpstreams(read: (path: string) => string = (p) => readFileSync(p, "utf8")): string[] {
  const path = hostResolvConfPath(read("/etc/resolv.conf"));
  return parseResolvConf(read(path)).nameservers.filter((n) => n !== SYSTEMD_RESOLVED_STUB && /^\d+\.\d+\.\d+\.\d+$/.test(n));
}

export async function startClusterDns(
  o: ClusterDnsOptions,
  deps: { host: string; storage: EtcdStorage; hub: WatchHub; registry: Registry; log: Logger },
): Promise<ClusterDns> {
  const log = deps.log.child({ component: "dns" });
  const forwarder = new Forwarder((o.upstreams ?? hostUpstreams()).map(parseUpstream));
  const cache = new DnsCache(deps.storage, deps.hub, log);
  await cache.start();
  const zone = new ClusterZone(o.clusterDomain || DEFAULT_CLUSTER_DOMAIN, cache);
  const metrics = new DnsMetrics(deps.registry);
  try {
    const listener = await startDnsServer(deps.host, o.port, new DnsHandler({ zone, forwarder, metrics, log }), { metrics, log });
    log.info({ zone: zone.domain, upstreams: forwarder.upstreams.map((u) => `${u.host}:${u.port}`) }, "cluster dns ready");
    return {
      port: listener.port,
      zone,
      stop: async () => {
        await listener.stop();
        cache.stop();
      },
    };
  } catch (err) {
    cache.stop();
    throw err;
  }
}
