// The node's pod side, assembled: probes → status manager → syncer → pod manager. One place builds
// the pipeline; main.ts (and tests) give it a runtime, the API seam, an event sink and a logger.
import type { Pod } from "@mk/proto";
import type { Logger } from "pino";
import { type ConfigApi, NO_CONFIG_API } from "./config/api.js";
import { type ProbeKind, ProbeManager } from "./probes/manager.js";
import { type NodeSettings, rootDirOf } from "./runtime/pod-spec.js";
import type { ContainerRuntime } from "./runtime/runtime.js";
import type { PodApi } from "./sync/api.js";
import type { Backoff } from "./sync/backoff.js";
import { PodManager } from "./sync/pod-manager.js";
import { type PodEvents, PodSyncer } from "./sync/pod-sync.js";
import { StatusManager } from "./sync/status-manager.js";

export interface PodSideOptions {
  rt: ContainerRuntime;
  api: PodApi;
  /** The ConfigMaps and Secrets pods refer to; none without it (a test's scripted pod API). */
  config?: ConfigApi;
  events: PodEvents;
  node: NodeSettings;
  log: Logger;
  workers?: number;
  resyncMs?: number;
  housekeepingMs?: number;
  crashBackoff?: Backoff;
  pullBackoff?: Backoff;
}

export class PodSide {
  readonly manager: PodManager;
  readonly syncer: PodSyncer;
  readonly probes: ProbeManager;
  readonly status: StatusManager;
  private readonly log: Logger;
  private abort: AbortController | undefined;
  private done: Promise<void> | undefined;

  constructor(o: PodSideOptions) {
    const log = o.log;
    this.log = log;
    let manager: PodManager | undefined;
    this.probes = new ProbeManager(
      o.rt,
      {
        onChange: (key) => manager?.enqueue(key),
        onFailure: (pod: Pod, _container: string, _kind: ProbeKind, message: string) => o.events.event(pod, "Warning", "Unhealthy", message),
      },
      log,
    );
    this.status = new StatusManager(o.api, log);
    const syncerDeps = {
      rt: o.rt,
      api: o.api,
      config: o.config ?? NO_CONFIG_API,
      node: o.node,
      events: o.events,
      status: this.status,
      probes: this.probes,
      log,
      requeue: (key: string, ms: number) => manager?.enqueue(key, ms),
      ...(o.crashBackoff ? { crashBackoff: o.crashBackoff } : {}),
      ...(o.pullBackoff ? { pullBackoff: o.pullBackoff } : {}),
    };
    this.syncer = new PodSyncer(syncerDeps);
    manager = new PodManager({
      api: o.api,
      rt: o.rt,
      syncer: this.syncer,
      scope: { nodeName: o.node.nodeName, clusterId: o.node.clusterId },
      rootDir: rootDirOf(o.node),
      log,
      ...(o.workers ? { workers: o.workers } : {}),
      ...(o.resyncMs ? { resyncMs: o.resyncMs } : {}),
      ...(o.housekeepingMs ? { housekeepingMs: o.housekeepingMs } : {}),
    });
    this.manager = manager;
  }

  start(): void {
    if (this.abort) return;
    this.abort = new AbortController();
    this.done = this.manager.run(this.abort.signal).catch((err: unknown) => this.log.error({ err }, "pod loop failed"));
  }

  /** Stops the loops (containers keep running: a restarted kubelet adopts them). Idempotent. */
  async stop(): Promise<void> {
    this.abort?.abort();
    this.probes.stop();
    await this.done;
  }
}
