// mk-kubelet assembled: the node's gRPC server first (its port goes into the Node), then the Node's
// registration, the lease heartbeat (with the node status riding on its ticks), the pod loop and
// the HTTP endpoints. Stopped in reverse order, idempotently; containers keep running across a stop,
// for the next kubelet to adopt.
import { type Clientset, EventRecorder } from "@mk/proto/client";
import type { Logger } from "pino";
import { type Capacity, hostCapacity } from "./node/host.js";
import { NodeLease } from "./node/lease.js";
import { NodeRegistration } from "./node/registration.js";
import { NetworkManager } from "./network/manager.js";
import type { PodNetwork } from "./network/pod-network.js";
import type { Proxier } from "./proxy/proxier.js";
import { clientConfigApi } from "./config/api.js";
import { PodSide } from "./pods.js";
import type { KubeletDns, NodeSettings } from "./runtime/pod-spec.js";
import { defaultKubeletDns } from "./dns/pod-resolv.js";
import { KubeletHttpServer, kubeletRegistry } from "./server/http.js";
import { KubeletGrpcServer, type ServerTlsFiles } from "./server/kubelet-service.js";
import type { ContainerRuntime } from "./runtime/runtime.js";
import { clientPodApi } from "./sync/api.js";
import type { PodEvents } from "./sync/pod-sync.js";
import type { Taint } from "@mk/proto";

export interface KubeletOptions {
  nodeName: string;
  /** Labels every container and volume (--cluster-id; by default the API server address). */
  clusterId: string;
  nodeIp: string;
  /** gRPC port (Logs, Exec); 0 picks a free port. */
  port: number;
  /** /healthz and /metrics; 0 picks a free port; -1: off. */
  healthzPort: number;
  podInfraImage: string;
  allowPrivileged: boolean;
  leaseRenewMs: number;
  capacity?: Partial<Capacity>;
  labels: Record<string, string>;
  taints: Taint[];
  /** Node status is posted on change, and at least this often. */
  nodeStatusReportMs?: number;
  resyncMs?: number;
  /** --pod-cidr: the pod range when the Node has no podCIDR (a cluster without node IPAM). */
  podCidr?: string | undefined;
  /** The kubelet's directory for pod files (--root-dir); defaultRootDir(cluster, node) when unset. */
  rootDir?: string | undefined;
  /** Mutual TLS for the node's gRPC server (the same certificate the kubelet presents to the API). */
  tls?: ServerTlsFiles | undefined;
  /**
   * Pod DNS (--cluster-dns, --cluster-domain, --resolv-conf): every pod gets a resolv.conf of the
   * kubelet's making; default: no cluster DNS (ClusterFirst falls back to Default), cluster.local,
   * the host's resolv.conf.
   */
  dns?: Partial<KubeletDns> | undefined;
}

export class Kubelet {
  readonly grpc: KubeletGrpcServer;
  readonly pods: PodSide;
  private readonly cs: Clientset;
  private readonly rt: ContainerRuntime;
  private readonly o: KubeletOptions;
  private readonly log: Logger;
  private http: KubeletHttpServer | undefined;
  private lease: NodeLease | undefined;
  private abort: AbortController | undefined;
  private leaseDone: Promise<void> | undefined;
  private netDone: Promise<void> | undefined;
  private proxyDone: Promise<void> | undefined;
  private readonly proxy: Proxier | undefined;
  private readonly net: PodNetwork | undefined;
  private readonly netManager: NetworkManager | undefined;
  private readonly node: NodeSettings;
  /** Ports actually bound (after start). */
  port = 0;
  healthzPort = 0;

  /**
   * With `net`, pods start only once the Node's podCIDR is known and the pod network is set up, and
   * their sandboxes join it; without it (tests of the pod loop) they use the engine's default bridge.
   * With `proxy`, the node proxy runs beside them (kube-proxy's work, in the node agent).
   */
  constructor(cs: Clientset, rt: ContainerRuntime, o: KubeletOptions, log: Logger, net?: PodNetwork, proxy?: Proxier) {
    this.cs = cs;
    this.net = net;
    this.proxy = proxy;
    this.netManager = net ? new NetworkManager(cs, net, { nodeName: o.nodeName, podCidr: o.podCidr }, log) : undefined;
    this.node = {
      nodeName: o.nodeName,
      clusterId: o.clusterId,
      nodeIp: o.nodeIp,
      podInfraImage: o.podInfraImage,
      allowPrivileged: o.allowPrivileged,
      ...(o.rootDir ? { rootDir: o.rootDir } : {}),
      dns: { ...defaultKubeletDns(), ...o.dns },
      allocatable: hostCapacity(o.capacity),
    };
    this.rt = rt;
    this.o = o;
    this.log = log;
    const recorder = new EventRecorder(cs, { component: "kubelet", host: o.nodeName }, { onError: (err) => log.debug({ err }, "event not recorded") });
    const events: PodEvents = { event: (pod, type, reason, message) => recorder.event("Pod", pod, type, reason, message) };
    this.pods = new PodSide({
      rt,
      api: clientPodApi(cs, o.nodeName),
      config: clientConfigApi(cs),
      events,
      node: this.node,
      log,
      ...(o.resyncMs ? { resyncMs: o.resyncMs } : {}),
    });
    this.grpc = new KubeletGrpcServer(rt, { nodeName: o.nodeName, clusterId: o.clusterId }, this.pods.manager, log, o.tls);
  }

  async start(): Promise<void> {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    const signal = abort.signal;
    const v = await this.rt.version();
    this.log.info({ runtime: v.name, version: v.version }, "container runtime connected");
    this.port = await this.grpc.start(this.o.nodeIp, this.o.port);
    // The proxy needs only the API (it keeps retrying until the API answers): Services keep their
    // rules even while this node has no pod network yet.
    this.proxyDone = this.proxy?.run(signal).catch((err: unknown) => this.log.error({ err }, "proxy loop failed"));
    const registration = new NodeRegistration(
      this.cs,
      this.rt,
      { nodeName: this.o.nodeName, nodeIp: this.o.nodeIp, port: this.port, capacity: hostCapacity(this.o.capacity), labels: this.o.labels, taints: this.o.taints, ...(this.netManager ? { network: () => this.netManager?.status() ?? { ready: false, reason: "", message: "" } } : {}) },
      this.log,
    );
    // The API server may not be up yet: keep trying (1 s → 10 s) until it is, or until stopped.
    let node: Awaited<ReturnType<NodeRegistration["register"]>> | undefined;
    for (let delay = 1_000; !signal.aborted; delay = Math.min(10_000, delay * 2)) {
      try {
        node = await registration.register(signal);
        break;
      } catch (err) {
        if (signal.aborted) return;
        this.log.warn({ err, delayMs: delay }, "node registration failed; retrying");
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t);
            signal.removeEventListener("abort", done);
            resolve();
          };
          const t = setTimeout(done, delay);
          signal.addEventListener("abort", done, { once: true });
        });
      }
    }
    if (!node) return;
    const lease = new NodeLease(this.cs, { nodeName: this.o.nodeName, nodeUid: node.metadata?.uid ?? "", renewMs: this.o.leaseRenewMs, log: this.log });
    this.lease = lease;
    // The first heartbeat before start() returns, so a started kubelet has its Lease; a failure is
    // retried by the loop below.
    await lease.renew(signal).catch((err: unknown) => this.log.warn({ err }, "lease renewal failed"));
    this.leaseDone = lease.run(signal, async () => {
      await registration.postStatus(false, signal, this.o.nodeStatusReportMs ?? 60_000);
    });
    const netManager = this.netManager;
    const net = this.net;
    if (netManager && net) {
      // No pod starts before the pod network is there (Kubernetes: NetworkUnavailable, Ready=False).
      this.netDone = netManager
        .run(signal, async () => {
          this.node.podNetwork = net.sandboxNetwork;
          await registration.postStatus(true, signal).catch((err: unknown) => this.log.warn({ err }, "node status not posted"));
          this.pods.start();
        })
        .catch((err: unknown) => this.log.error({ err }, "pod network loop failed"));
    } else {
      this.pods.start();
    }
    if (this.o.healthzPort >= 0) {
      const registry = kubeletRegistry({
        runningPods: () => this.pods.manager.pods().length,
        podStatusWrites: () => this.pods.status.writes,
        nodeStatusWrites: () => registration.writes,
        leaseRenewals: () => lease.renewals,
      });
      this.proxy?.register(registry);
      this.http = new KubeletHttpServer({ unhealthy: () => this.unhealthy() }, registry);
      this.healthzPort = await this.http.start(this.o.nodeIp, this.o.healthzPort);
    }
    this.log.info({ node: this.o.nodeName, nodeIp: this.o.nodeIp, port: this.port, healthzPort: this.healthzPort }, "kubelet started");
  }

  private unhealthy(): string {
    const l = this.lease;
    if (!l) return "not registered yet";
    // Three missed renewals in a row: the API is unreachable from here.
    if (Date.now() - l.lastRenewed > 3 * this.o.leaseRenewMs + 5_000) return `lease not renewed for ${Math.round((Date.now() - l.lastRenewed) / 1000)}s`;
    return "";
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    if (!this.abort) return;
    this.abort.abort();
    await this.http?.stop();
    await this.pods.stop();
    await this.netDone;
    await this.proxyDone;
    await this.leaseDone;
    await this.grpc.stop();
    this.log.info({ node: this.o.nodeName }, "kubelet stopped");
  }
}
