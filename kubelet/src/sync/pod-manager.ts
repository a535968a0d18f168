// The pod loop of the node: an informer on the pods bound here (spec.nodeName=<node>), a work queue
// of pod keys (namespace/name), workers running PodSyncer.sync, and two more sources of keys: the
// engine's container events (a container died: sync its pod now) and a periodic resync. Housekeeping
// removes containers of pods that are no longer bound here (deleted, moved away while the node was
// cut off, or from before a restart). All of it is confined to containers labelled with this node
// and this cluster: another cluster on the same engine may have a node of the same name.
import { setMaxListeners } from "node:events";
import { readdir, rm } from "node:fs/promises";
import { objectKey, type Pod, splitKey } from "@mk/proto";
import { cloneCached, type DeepReadonly, Informer, runWorkers, WorkQueue } from "@mk/proto/informer";
import type { Logger } from "pino";
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, LABEL_VOLUME_KIND, type NodeScope, podDir, scopeLabels } from "../runtime/names.js";
import type { ContainerRuntime, ContainerSummary } from "../runtime/runtime.js";
import type { PodApi } from "./api.js";
import type { PodSyncer } from "./pod-sync.js";
import { killAndRemovePod, recordedGrace } from "./termination.js";

export interface PodManagerOptions {
  api: PodApi;
  rt: ContainerRuntime;
  syncer: PodSyncer;
  /** This node of this cluster: everything listed, removed or watched carries its labels. */
  scope: NodeScope;
  /** The kubelet's directory: pods/<uid> of pods no longer here are removed by housekeeping. */
  rootDir: string;
  log: Logger;
  /** Pods synced in parallel; default 16. */
  workers?: number;
  /** Every pod is synced at least this often; default 10 s. */
  resyncMs?: number;
  /** Orphan removal period; default 10 s. */
  housekeepingMs?: number;
}

export class PodManager {
  private readonly o: Required<PodManagerOptions>;
  private informer: Informer<Pod> | undefined;
  readonly queue = new WorkQueue({ name: "pods" });

  constructor(o: PodManagerOptions) {
    this.o = { workers: 16, resyncMs: 10_000, housekeepingMs: 10_000, ...o };
  }

  /** The pod bound here with that namespace and name, from the cache (read-only). */
  getPod(namespace: string, name: string): DeepReadonly<Pod> | undefined {
    return this.informer?.store.get(`${namespace}/${name}`);
  }

  pods(): DeepReadonly<Pod>[] {
    return this.informer?.store.list() ?? [];
  }

  enqueue(key: string, afterMs = 0): void {
    this.queue.addAfter(key, afterMs);
  }

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { api, log } = this.o;
    // Every worker, probe and stream listens on this one signal.
    setMaxListeners(0, signal);
    const informer = new Informer<Pod>(api.source, { logger: log, name: "pods" });
    this.informer = informer;
    const enqueue = (p: DeepReadonly<Pod>) => this.queue.add(objectKey(p));
    informer.addEventHandler({ add: enqueue, update: (_o, n) => enqueue(n), delete: enqueue });
    informer.start(signal);
    signal.addEventListener("abort", () => this.queue.shutDown(), { once: true });
    if (!(await informer.waitForSync(signal))) return;
    log.info({ pods: informer.store.size }, "pod cache synced");
    // Before any pod starts: containers of pods no longer bound here go (a restarted kubelet).
    await this.housekeeping().catch((err: unknown) => log.error({ err }, "housekeeping failed"));
    await Promise.all([
      runWorkers(this.queue, this.o.workers, (key, s) => this.sync(key, s), signal, log),
      this.watchRuntime(signal),
      this.housekeepingLoop(signal),
    ]);
    await informer.stop();
  }

  private async sync(key: string, signal: AbortSignal): Promise<void> {
    const cached = this.informer?.store.get(key);
    const { namespace, name } = splitKey(key);
    if (!cached) {
      // Gone from the API (or bound elsewhere): whatever runs under that name goes.
      await this.removeWhere({ [LABEL_POD_NAMESPACE]: namespace, [LABEL_POD_NAME]: name }, undefined);
      return;
    }
    const pod = cloneCached("Pod", cached);
    // An older pod of the same name (deleted and re-created) may still have containers.
    await this.removeWhere({ [LABEL_POD_NAMESPACE]: namespace, [LABEL_POD_NAME]: name }, pod.metadata?.uid);
    await this.o.syncer.sync(pod, signal);
    if (!pod.metadata?.deletionTimestamp) this.queue.addAfter(key, this.o.resyncMs);
  }

  /** Kills and removes the containers matching labels whose pod uid is not keepUid, pod by pod. */
  private async removeWhere(labels: Record<string, string>, keepUid: string | undefined): Promise<void> {
    const all = await this.o.rt.listContainers({ ...labels, ...scopeLabels(this.o.scope) });
    const byUid = new Map<string, ContainerSummary[]>();
    for (const c of all) {
      const uid = c.labels[LABEL_POD_UID] ?? "";
      if (uid === keepUid) continue;
      byUid.set(uid, [...(byUid.get(uid) ?? []), c]);
    }
    await Promise.all(
      [...byUid].map(async ([uid, cs]) => {
        this.o.log.info({ podUid: uid, pod: `${cs[0]?.labels[LABEL_POD_NAMESPACE]}/${cs[0]?.labels[LABEL_POD_NAME]}` }, "removing containers of a pod no longer bound here");
        await killAndRemovePod(this.o.rt, this.o.scope, uid, { graceSeconds: recordedGrace(cs) });
        this.o.syncer.forget(uid);
      }),
    );
  }

  /** Removes the containers of every pod uid the cache does not hold. */
  async housekeeping(): Promise<void> {
    const uids = new Set(this.pods().map((p) => p.metadata?.uid ?? ""));
    const all = await this.o.rt.listContainers(scopeLabels(this.o.scope));
    const orphans = new Map<string, ContainerSummary[]>();
    for (const c of all) {
      const uid = c.labels[LABEL_POD_UID] ?? "";
      if (!uids.has(uid)) orphans.set(uid, [...(orphans.get(uid) ?? []), c]);
    }
    await Promise.all(
      [...orphans].map(async ([uid, cs]) => {
        this.o.log.info({ podUid: uid, containers: cs.length }, "removing containers of a pod no longer bound here");
        await killAndRemovePod(this.o.rt, this.o.scope, uid, { graceSeconds: recordedGrace(cs) });
        this.o.syncer.forget(uid);
      }),
    );
    // emptyDir volumes whose pod is gone and whose containers went earlier (a kubelet stopped between
    // removing the containers and the volumes).
    for (const v of await this.o.rt.listVolumes({ ...scopeLabels(this.o.scope), [LABEL_VOLUME_KIND]: "emptyDir" })) {
      const uid = v.labels[LABEL_POD_UID] ?? "";
      if (!uids.has(uid) && !orphans.has(uid)) await this.o.rt.removeVolume(v.name);
    }
    // Pod directories (configMap and secret volumes) of pods no longer here: their containers are gone.
    // The cache is read after the listing: a directory is only written by the sync of a pod already
    // in the cache, so a pod added meanwhile is in `current` and keeps its directory.
    const dirs = await readdir(`${this.o.rootDir}/pods`).catch(() => [] as string[]); // none yet
    const current = new Set(this.pods().map((p) => p.metadata?.uid ?? ""));
    for (const uid of dirs) if (!current.has(uid)) await rm(podDir(this.o.rootDir, uid), { recursive: true, force: true });
  }

  private async housekeepingLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.o.housekeepingMs, signal);
      if (signal.aborted) return;
      await this.housekeeping().catch((err: unknown) => this.o.log.error({ err }, "housekeeping failed"));
    }
  }

  /** Container events of this node: a container that died or started gets its pod synced now. */
  private async watchRuntime(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        for await (const ev of this.o.rt.events(scopeLabels(this.o.scope), signal)) {
          if (ev.action === "die" || ev.action === "start" || ev.action === "oom" || ev.action === "destroy") {
            const ns = ev.labels[LABEL_POD_NAMESPACE];
            const name = ev.labels[LABEL_POD_NAME];
            if (ns && name) this.queue.add(`${ns}/${name}`);
          }
        }
      } catch (err) {
        this.o.log.warn({ err }, "runtime event stream failed; reconnecting");
      }
      await sleep(1_000, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
