#!/usr/bin/env node
// mk-apiserver: parses flags, starts the server, and turns SIGTERM/SIGINT into a graceful stop.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { credentials } from "@grpc/grpc-js";
import { DEFAULT_CLUSTER_DOMAIN, parseCidr } from "@mk/proto";
import type { ClusterDnsOptions } from "./dns/dns.js";
import { parseUpstream } from "./dns/forward.js";
import { pino } from "pino";
import { startApiServer } from "./server.js";

const USAGE = `usage: mk-apiserver [flags]
  --etcd-servers URLS      comma-separated etcd members (default http://127.0.0.1:2379)
  --etcd-cafile/--etcd-certfile/--etcd-keyfile FILE   TLS to etcd
  --etcd-request-timeout DURATION   deadline of each etcd call (default 10s; shorter with several
                           members, so a call stuck behind a dead leader returns for the client to retry)
  --etcd-member-sync DURATION   how often etcd's member list is read: members joined or removed after
                           start are used from then on (--etcd-servers is the seed; default 30s; 0: off)
  --listen HOST:PORT       gRPC API (default 127.0.0.1:6443)
  --advertise-address IP   the address other components reach this server at
  --http-listen HOST:PORT  /healthz, /readyz, /metrics (default 127.0.0.1:6444; "" turns it off)
  --tls-cert/--tls-key FILE   serve TLS; --client-ca FILE also requires client certificates
  --ca-key FILE            the client CA's key: sign node certificates for \`mkctl cluster join\`
  --bootstrap-token-file FILE   hashed bootstrap tokens (\`mkctl cluster init\` writes them)
  --kubelet-client-certificate/--kubelet-client-key FILE   mutual TLS to kubelets (CA: --client-ca)
  --service-cluster-ip-range CIDR   ClusterIPs come from here (default 10.96.0.0/12)
  --service-node-port-range MIN-MAX NodePorts come from here (default 30000-32767)
  --dns-port PORT          cluster DNS on the advertise address, UDP and TCP: the kube-system/kube-dns
                           Service's targetPort (default off; 0 or off: no DNS)
  --dns-upstream IP[:PORT],...  where names outside the cluster zone go (default: the host's resolvers
                           from /etc/resolv.conf, or systemd-resolved's when that names 127.0.0.53)
  --cluster-domain DOMAIN  the cluster zone (default cluster.local)
  --event-ttl DURATION     how long events are kept (default 1h; 90s, 30m, 2h)
  --etcd-compaction-interval DURATION   etcd compaction period, the history kept (default 5m; 0: off)
  --endpoint-lease-ttl DURATION   this server's lease behind the kubernetes and kube-dns endpoints,
                           renewed every third of it: a server that died leaves them within it (default 15s)
  --log-level LEVEL        trace, debug, info (default), warn, error`;

/** "1h", "30m", "90s", "3600" → seconds. */
function parseDuration(s: string): number {
  const m = /^(\d+)(h|m|s)?$/.exec(s.trim());
  if (!m) throw new Error(`invalid duration "${s}": use e.g. 1h, 30m or 90s`);
  const n = Number(m[1]);
  return m[2] === "h" ? n * 3600 : m[2] === "m" ? n * 60 : n;
}

/** --dns-port, --dns-upstream and --cluster-domain, checked; undefined when DNS is off. */
function dnsOptions(port: string, upstream: string | undefined, domain: string): ClusterDnsOptions | undefined {
  if (port === "off" || port === "0") return undefined;
  if (!/^\d+$/.test(port) || Number(port) > 65535) throw new Error(`--dns-port "${port}": want a port (1-65535), 0 or off`);
  const upstreams = upstream === undefined ? undefined : upstream.split(",").map((u) => u.trim()).filter((u) => u !== "");
  for (const u of upstreams ?? []) {
    try {
      parseUpstream(u);
    } catch (err) {
      throw new Error(`--dns-upstream: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(domain)) throw new Error(`--cluster-domain "${domain}": want a DNS name such as cluster.local`);
  return { port: Number(port), upstreams, clusterDomain: domain };
}

/** --etcd-request-timeout in ms (a positive duration). */
function etcdTimeoutMs(v: string): number {
  const s = parseDuration(v);
  if (s <= 0) throw new Error(`--etcd-request-timeout: must be positive, got "${v}"`);
  return s * 1000;
}

/** --endpoint-lease-ttl in seconds, at least 1 (etcd leases count whole seconds). */
function leaseTtlSeconds(v: string): number {
  const s = flagDuration("--endpoint-lease-ttl", v);
  if (!Number.isInteger(s) || s < 1) throw new Error(`--endpoint-lease-ttl: must be at least 1s, got "${v}"`);
  return s;
}

/** A duration flag in seconds, its name in the error. */
function flagDuration(flag: string, v: string): number {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new Error(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "etcd-servers": { type: "string", default: "http://127.0.0.1:2379" },
      "etcd-cafile": { type: "string" },
      "etcd-certfile": { type: "string" },
      "etcd-keyfile": { type: "string" },
      listen: { type: "string", default: "127.0.0.1:6443" },
      "advertise-address": { type: "string" },
      "http-listen": { type: "string", default: "127.0.0.1:6444" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "client-ca": { type: "string" },
      "ca-key": { type: "string" },
      "bootstrap-token-file": { type: "string" },
      "kubelet-client-certificate": { type: "string" },
      "kubelet-client-key": { type: "string" },
      "event-ttl": { type: "string", default: "1h" },
      "etcd-compaction-interval": { type: "string", default: "5m" },
      "etcd-request-timeout": { type: "string", default: "10s" },
      "etcd-member-sync": { type: "string", default: "30s" },
      "endpoint-lease-ttl": { type: "string", default: "15s" },
      "service-cluster-ip-range": { type: "string", default: "10.96.0.0/12" },
      "service-node-port-range": { type: "string", default: "30000-32767" },
      "dns-port": { type: "string", default: "off" },
      "dns-upstream": { type: "string" },
      "cluster-domain": { type: "string", default: DEFAULT_CLUSTER_DOMAIN },
      "log-level": { type: "string", default: "info" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  try {
    parseCidr(values["service-cluster-ip-range"]);
  } catch (err) {
    throw new Error(`--service-cluster-ip-range: ${err instanceof Error ? err.message : String(err)}`);
  }
  const dns = dnsOptions(values["dns-port"], values["dns-upstream"], values["cluster-domain"]);
  const log = pino({ name: "mk-apiserver", level: values["log-level"] });
  const read = (f: string | undefined) => (f ? readFileSync(f) : undefined);
  if (!!values["tls-cert"] !== !!values["tls-key"]) throw new Error("--tls-cert and --tls-key go together");
  if (values["client-ca"] && !values["tls-cert"]) throw new Error("--client-ca needs --tls-cert and --tls-key");
  if (!!values["ca-key"] !== !!values["bootstrap-token-file"]) throw new Error("--ca-key and --bootstrap-token-file go together");
  if (values["ca-key"] && !values["client-ca"]) throw new Error("--ca-key needs --client-ca (the CA's certificate)");
  if (!!values["kubelet-client-certificate"] !== !!values["kubelet-client-key"]) throw new Error("--kubelet-client-certificate and --kubelet-client-key go together");
  const clientCa = read(values["client-ca"]);
  const kubeletCert = read(values["kubelet-client-certificate"]);
  const kubeletKey = read(values["kubelet-client-key"]);
  const etcdCa = read(values["etcd-cafile"]);
  const server = await startApiServer({
    etcdServers: values["etcd-servers"]
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
    etcdTls: etcdCa ? { ca: etcdCa, cert: read(values["etcd-certfile"]), key: read(values["etcd-keyfile"]) } : undefined,
    listen: values.listen,
    advertiseAddress: values["advertise-address"],
    httpListen: values["http-listen"],
    tls:
      values["tls-cert"] && values["tls-key"]
        ? {
            cert: readFileSync(values["tls-cert"]),
            key: readFileSync(values["tls-key"]),
            clientCa,
            signer:
              values["client-ca"] && values["ca-key"] && values["bootstrap-token-file"]
                ? { caCert: values["client-ca"], caKey: values["ca-key"], tokenFile: values["bootstrap-token-file"] }
                : undefined,
          }
        : undefined,
    // Kubelets serve certificates from the cluster CA naming their IP; the API server presents its own.
    kubeletCredentials: clientCa && kubeletCert && kubeletKey ? () => credentials.createSsl(clientCa, kubeletKey, kubeletCert) : undefined,
    eventTtlSeconds: parseDuration(values["event-ttl"]),
    compactionIntervalMs: parseDuration(values["etcd-compaction-interval"]) * 1000,
    etcdRequestTimeoutMs: etcdTimeoutMs(values["etcd-request-timeout"]),
    etcdMemberSyncMs: flagDuration("--etcd-member-sync", values["etcd-member-sync"]) * 1000,
    serviceClusterIpRange: values["service-cluster-ip-range"],
    serviceNodePortRange: values["service-node-port-range"],
    dns,
    endpointLeaseTtlSeconds: leaseTtlSeconds(values["endpoint-lease-ttl"]),
    logger: log,
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(1); // a second signal: stop waiting
    log.info({ signal }, "shutting down");
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(`mk-apiserver: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
