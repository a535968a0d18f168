// startApiServer: etcd storage, the watch hub, the registry, the gRPC API and the HTTP endpoints,
// started in order and stopped in reverse. Used by main.ts and, in-process, by the tests.
import { IpRange, PortRange, parseIPv4 } from "./allocator/range.js";
import { type ClusterDnsOptions, startClusterDns } from "./dns/dns.js";
import { DEFAULT_ENDPOINT_LEASE_TTL_SECONDS, EndpointLeases } from "./registry/endpoint-leases.js";
import { ensureSelfService, kubeDnsService, kubernetesService, selfEndpointPorts } from "./registry/self-service.js";
import { ServiceAllocations } from "./registry/service-allocations.js";
import { readFileSync } from "node:fs";
import type { Server as HttpServer } from "node:http";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { BootstrapService, emptyMeta, KUBE_DNS_NAMESPACE, ResourcesService, type VersionInfo } from "@mk/proto";
import { AlreadyExistsError, InvalidError, NotFoundError } from "@mk/proto/client";
import { type Logger, pino } from "pino";
import { authInterceptor } from "./auth/interceptor.js";
import { mutualTlsCredentials } from "./auth/credentials.js";
import { Compactor } from "./housekeeping/compaction.js";
import { ApiMetrics } from "./http/metrics.js";
import { startHttp } from "./http/server.js";
import { SYSTEM_NAMESPACES } from "./registry/namespace.js";
import { NamespaceCache } from "./registry/namespaces.js";
import { Store } from "./registry/store.js";
import type { StrategyTable } from "./registry/strategy.js";
import { RequestAuthorizer } from "./handlers/authorization.js";
import { NodeGraph } from "./auth/node-graph.js";
import { Handlers } from "./handlers/handlers.js";
import { type KubeletCredentialsFactory, KubeletProxy } from "./service/proxy.js";
import { bootstrapService } from "./service/grpc/bootstrap.js";
import { resourcesService } from "./service/grpc/resources.js";
import { startFrontDoor } from "./rest/frontdoor.js";
import { createRestServer } from "./rest/server.js";
import { statusLimitInterceptor } from "./service/grpc/status-limit.js";
import { strictService, WireChecker, wireGuardInterceptor } from "./service/grpc/wire-guard.js";
import { type EtcdTls, EtcdStorage } from "./storage/etcd.js";
import { WatchHub } from "./watch/hub.js";

export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  /** When given, clients must present a certificate signed by this CA. */
  clientCa?: Buffer | undefined;
  /**
   * Signing node certificates for `mkctl cluster join` (the Bootstrap service's Join): the CA's
   * files (its certificate is clientCa's) and the bootstrap token file `mkctl cluster init` writes.
   */
  signer?: { caCert: string; caKey: string; tokenFile: string } | undefined;
}

export interface ApiServerOptions {
  /** etcd members: http(s)://host:port each. */
  etcdServers: string[];
  /** Deadline of each etcd call; default 10 s. */
  etcdRequestTimeoutMs?: number;
  /** An etcd watch silent this long despite a progress request moves to another member; default 5 s. */
  etcdWatchSilenceMs?: number;
  /**
   * How often etcd's member list is read and switched to when its members changed (a member joined
   * or removed since start; etcdServers is only the seed); default 30 s; 0: never.
   */
  etcdMemberSyncMs?: number;
  etcdTls?: EtcdTls | undefined;
  /** host:port of the gRPC API; port 0 picks a free one. Default 127.0.0.1:6443. */
  listen?: string;
  /** The address other components are told to reach this server at (Version). */
  advertiseAddress?: string;
  /** host:port of /healthz, /readyz, /metrics; default 127.0.0.1:6444; "" turns it off. */
  httpListen?: string;
  tls?: ServerTls | undefined;
  /** Events expire this long after their last write; default 3600. */
  eventTtlSeconds?: number;
  /** Bookmark period of watches that allow them; default 10 s. */
  bookmarkIntervalMs?: number;
  /** etcd compaction period (history kept is one period); default 5 min; 0 turns it off. */
  compactionIntervalMs?: number;
  /** Recent events the watch hub keeps for watches that start in the past; default 10 000. */
  watchWindowEvents?: number;
  /** Channel credentials for kubelets (Logs and Exec); default insecure. */
  kubeletCredentials?: KubeletCredentialsFactory;
  logger?: Logger;
  logLevel?: string;
  /**
   * Defaults and validation of each kind (default: the real table, STRATEGIES). A seam for tests,
   * which start a server whose strategy for a kind rejects; production never sets it.
   */
  strategies?: StrategyTable | undefined;
  /** ClusterIPs come from this IPv4 CIDR (--service-cluster-ip-range); default 10.96.0.0/12. */
  serviceClusterIpRange?: string | undefined;
  /** NodePorts come from this range (--service-node-port-range); default 30000-32767. */
  serviceNodePortRange?: string | undefined;
  /**
   * The cluster DNS server (dns/): its port on the advertise address, upstreams and zone; with it,
   * the kube-system/kube-dns Service at the service range's tenth address. Unset: no DNS.
   */
  dns?: ClusterDnsOptions | undefined;
  /**
   * TTL of this server's lease in etcd (registry/endpoint-leases.ts), renewed every third of it: a
   * server that dies leaves the kubernetes and kube-dns endpoints within this and a renewal. Default 15.
   */
  endpointLeaseTtlSeconds?: number | undefined;
}

export { STRATEGIES } from "./registry/strategies.js";
/** How the one address tells gRPC from HTTP clients, for tests. */
export { offeredProtocols, protocolOf } from "./rest/frontdoor.js";
export { Bitmap } from "./allocator/bitmap.js";
export { IpRange, PortRange } from "./allocator/range.js";
export type { Strategy, StrategyTable, UpdateOperation } from "./registry/strategy.js";

export interface ApiServer {
  /** host:port the gRPC API listens on. */
  address: string;
  port: number;
  /** Port of the HTTP endpoints (0 when off). */
  httpPort: number;
  storage: EtcdStorage;
  hub: WatchHub;
  compactor: Compactor;
  /** The ClusterIP and NodePort allocators (tests count what is held). */
  allocations: ServiceAllocations;
  /** The cluster DNS port (UDP and TCP), 0 when off. */
  dnsPort: number;
  stop(): Promise<void>;
}

function splitHostPort(hp: string, defaultHost: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(hp);
  if (!m) throw new Error(`invalid address "${hp}": expected host:port`);
  return { host: m[1] || defaultHost, port: Number(m[2]) };
}

/** `--advertise-address` is an IP, as kube-apiserver's; clients reach it on the port served. */
function advertiseHostPort(advertise: string, port: number): string {
  if (!advertise || /^\[.*\]:\d+$|^[^:]*:\d+$/.test(advertise)) return advertise;
  return `${advertise.includes(":") ? `[${advertise}]` : advertise}:${port}`;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return `v${pkg.version ?? "0.0.0"}`;
  } catch {
    return "v0.0.0";
  }
}

/**
 * The address the `kubernetes` Service sends pods to: --advertise-address when it is an IP, else the
 * listen host (a wildcard listen is reached on loopback, which suits only host-network pods).
 */
function serviceEndpointIp(advertise: string, listenHost: string): string {
  const host = advertise.replace(/:\d+$/, "");
  if (parseIPv4(host) !== undefined) return host;
  if (parseIPv4(listenHost) !== undefined && listenHost !== "0.0.0.0") return listenHost;
  return "127.0.0.1";
}

async function ensureNamespace(store: Store, name: string, log: Logger): Promise<void> {
  try {
    await store.create("Namespace", { apiVersion: "v1", kind: "Namespace", metadata: emptyMeta({ name }) }, false);
    log.info({ namespace: name }, "namespace created");
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
  }
}

/** kube-dns's ClusterIP is the range's tenth address (10.96.0.10): index 9, after the network address. */
const KUBE_DNS_INDEX = 9;

/** Waits for etcd to answer, up to `timeoutMs` (a cluster starting up brings etcd and us together). */
async function waitForEtcd(storage: EtcdStorage, timeoutMs: number, log: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      await storage.currentRevision();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "waiting for etcd");
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const log = options.logger ?? pino({ name: "mk-apiserver", level: options.logLevel ?? "info" });
  const metrics = new ApiMetrics();
  // Bad ranges fail here, before anything starts.
  const ipRange = new IpRange(options.serviceClusterIpRange ?? "10.96.0.0/12");
  const portRange = PortRange.parse(options.serviceNodePortRange ?? "30000-32767");
  const storage = new EtcdStorage({
    endpoints: options.etcdServers,
    tls: options.etcdTls,
    timeoutMs: options.etcdRequestTimeoutMs,
    observe: (op, seconds) => metrics.etcdLatency.observe({ operation: op }, seconds),
    watchSilenceMs: options.etcdWatchSilenceMs,
    onWatchMove: (move) => log.warn(move, "etcd watch moved to another member"),
    onMemberHeld: (endpoint, held, why) => log.warn({ endpoint, why }, held ? "etcd member kept out of calls" : "etcd member back in calls"),
    onFenceError: (err) => log.warn({ err: err instanceof Error ? err.message : String(err) }, "etcd write fence not written yet; writes wait for it"),
    memberSyncMs: options.etcdMemberSyncMs,
    onMembersChanged: (from, to) => log.warn({ from, to }, "etcd members changed: calls and watches now use the members etcd lists"),
    onMemberSyncError: (err) => log.debug({ err: err instanceof Error ? err.message : String(err) }, "etcd member list not read; the members in use stay"),
  });
  const stops: (() => Promise<void> | void)[] = [() => storage.close()];
  const stopAll = async () => {
    for (const s of stops.reverse()) {
      try {
        await s();
      } catch (err) {
        log.warn({ err }, "error while stopping");
      }
    }
    stops.length = 0;
  };

  try {
    await waitForEtcd(storage, 30_000, log);
    const hub = new WatchHub(storage, { windowEvents: options.watchWindowEvents, onError: (err) => log.warn({ err }, "watch hub lost its etcd watch; restarting") });
    await hub.start();
    stops.push(() => hub.stop());
    const namespaces = new NamespaceCache(storage, hub);
    await namespaces.start();
    stops.push(() => namespaces.stop());
    const allocations = new ServiceAllocations(storage, ipRange, portRange);
    const store = new Store({ storage, namespaces, eventTtlSeconds: options.eventTtlSeconds ?? 3600, strategies: options.strategies, allocations });

    for (const name of SYSTEM_NAMESPACES) await ensureNamespace(store, name, log);

    const compactor = new Compactor(storage, options.compactionIntervalMs ?? 5 * 60_000, log);
    compactor.start();
    stops.push(() => compactor.stop());

    const proxy = new KubeletProxy(store, options.kubeletCredentials);
    stops.push(() => proxy.close());
    const streams = new Set<AbortController>();
    const listen = splitHostPort(options.listen ?? "127.0.0.1:6443", "127.0.0.1");
    const advertise = options.advertiseAddress ?? "";
    const gitVersion = packageVersion();
    const version = async (): Promise<VersionInfo> => ({
      gitVersion,
      platform: `${process.platform}/${process.arch}`,
      nodeVersion: process.version,
      etcdVersion: await storage.version(),
      advertiseAddress: advertiseHostPort(advertise, port) || address,
    });

    // With client certificates required, every Resources call is authenticated (the interceptor)
    // and authorized (the handlers).
    const clientCa = options.tls?.clientCa;
    // The node authorizer's graph (which ConfigMaps and Secrets each node's pods refer to), only
    // where nodes authenticate.
    const graph = clientCa ? new NodeGraph(storage, hub, log) : undefined;
    if (graph) {
      await graph.start();
      stops.push(() => graph.stop());
    }
    const authorizer = new RequestAuthorizer(
      clientCa
        ? {
            podNodeName: async (namespace, name) => {
              try {
                return (await store.get("Pod", namespace || "default", name)).spec?.nodeName ?? "";
              } catch (err) {
                if (err instanceof NotFoundError) return undefined;
                throw err;
              }
            },
            nodeReferences: (node, kind, namespace, name) => graph?.references(node, kind, namespace, name) ?? Promise.resolve(false),
          }
        : undefined,
      log,
    );
    const handlers = new Handlers({ store, hub, proxy, authorizer, bookmarkIntervalMs: options.bookmarkIntervalMs ?? 10_000, version, evictions: metrics.evictions });
    const interceptors = clientCa ? [authInterceptor()] : [];
    const server = new Server({
      // The first sees every status on its way out (and cuts it to fit the trailers); requests pass
      // them in order: authorization, then the refusal of faulty requests.
      interceptors: [statusLimitInterceptor(), ...interceptors, wireGuardInterceptor()],
      // Pings on idle connections so that a cut link under a long watch is noticed in ~30 s.
      "grpc.keepalive_time_ms": 20_000,
      "grpc.keepalive_timeout_ms": 10_000,
      "grpc.max_concurrent_streams": 10_000,
    });
    server.addService(strictService(ResourcesService, new WireChecker()), resourcesService({ handlers, metrics, log, streams }));
    if (clientCa) {
      const signer = options.tls?.signer;
      server.addService(
        BootstrapService,
        bootstrapService({ caCertificate: clientCa.toString("utf8"), signer: signer ? { ca: { cert: signer.caCert, key: signer.caKey }, tokenFile: signer.tokenFile } : undefined, log }),
      );
    }
    const creds = options.tls
      ? clientCa
        ? mutualTlsCredentials({ cert: options.tls.cert, key: options.tls.key, clientCa })
        : ServerCredentials.createSsl(null, [{ private_key: options.tls.key, cert_chain: options.tls.cert }], false)
      : ServerCredentials.createInsecure();
    let port: number;
    if (options.tls) {
      // One address for both APIs: the front door routes each TLS connection, by the ALPN protocols
      // its ClientHello offers, to grpc-js or to the Kubernetes HTTP edge (rest/frontdoor.ts).
      const grpcDoor = server.createConnectionInjector(creds);
      const rest = createRestServer({ handlers, log, streams, metrics: metrics.rest, address: () => advertiseHostPort(advertise, port) || address, ready: async () => {
          await storage.currentRevision();
        } }, options.tls);
      const door = await startFrontDoor(listen.host, listen.port, {
        grpc: (socket) => grpcDoor.injectConnection(socket),
        http: (socket) => rest.emit("connection", socket),
      });
      port = door.port;
      stops.push(async () => {
        await new Promise<void>((resolve) => {
          rest.close(() => resolve());
          door.server.close();
          setTimeout(resolve, 5_000).unref();
        });
        grpcDoor.destroy();
      });
    } else {
      const bindHost = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
      port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`${bindHost}:${listen.port}`, creds, (err, p) => (err ? reject(err) : resolve(p)));
      });
    }
    const address = `${listen.host.includes(":") ? `[${listen.host}]` : listen.host}:${port}`;
    stops.push(async () => {
      // Stop accepting, end the watches (clients re-watch elsewhere), then wait for the rest.
      for (const ac of streams) ac.abort();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    });

    let httpPort = 0;
    const httpListen = options.httpListen ?? "127.0.0.1:6444";
    if (httpListen) {
      const hl = splitHostPort(httpListen, "127.0.0.1");
      const http: { server: HttpServer; port: number } = await startHttp(hl.host, hl.port, {
        metrics,
        ready: async () => {
          await storage.currentRevision();
        },
      });
      httpPort = http.port;
      stops.push(() => new Promise<void>((resolve) => http.server.close(() => resolve())));
      stops.push(() => http.server.closeAllConnections());
    }
    const selfIp = serviceEndpointIp(advertise, listen.host);
    let dnsPort = 0;
    if (options.dns) {
      // Served on the address the kube-dns endpoints name (pods reach it through the ClusterIP).
      const dns = await startClusterDns(options.dns, { host: selfIp, storage, hub, registry: metrics.registry, log });
      stops.push(() => dns.stop());
      dnsPort = dns.port;
    }
    const kubernetes = kubernetesService(ipRange.ipAt(0), port);
    const kubeDns = dnsPort && ipRange.size > KUBE_DNS_INDEX ? kubeDnsService(ipRange.ipAt(KUBE_DNS_INDEX), dnsPort) : undefined;
    // The lease first: another server's reconcile then keeps the address this one adds below.
    const leases = new EndpointLeases({
      storage,
      store,
      log,
      apiPort: port,
      ttlSeconds: options.endpointLeaseTtlSeconds ?? DEFAULT_ENDPOINT_LEASE_TTL_SECONDS,
      record: { ip: selfIp, ports: Object.fromEntries([kubernetes, ...(kubeDns ? [kubeDns] : [])].map((s) => [`${s.namespace}/${s.name}`, selfEndpointPorts(s)])) },
    });
    await leases.renewLease();
    await ensureSelfService(store, kubernetes, selfIp, log);
    if (kubeDns) {
      try {
        await ensureNamespace(store, KUBE_DNS_NAMESPACE, log);
        await ensureSelfService(store, kubeDns, selfIp, log);
      } catch (err) {
        // A Service of someone else's at the address (refused naming spec.clusterIP): the API is
        // still served, and DNS on its port; pods cannot reach it until that address is free.
        if (!(err instanceof InvalidError)) throw err;
        log.error({ err: err.message, clusterIP: kubeDns.clusterIp }, "kube-dns service not created");
      }
    } else if (dnsPort) {
      log.warn({ range: ipRange.cidr }, "service range too small for the kube-dns address; DNS answers on its port only");
    }
    await leases.start();
    stops.push(() => leases.stop());
    log.info({ address, httpPort, etcd: options.etcdServers, tls: !!options.tls, mtls: !!options.tls?.clientCa }, "mk-apiserver serving");

    let stopping: Promise<void> | undefined;
    return {
      address,
      port,
      httpPort,
      storage,
      hub,
      compactor,
      allocations,
      dnsPort,
      stop: () => {
        stopping ??= stopAll().then(() => log.info("mk-apiserver stopped"));
        return stopping;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
