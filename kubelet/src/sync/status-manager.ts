// Posts a pod's status when it differs from what the API holds (or what was last posted), never on
// a timer: an idle node writes nothing. The kubelet owns pod status, so the write is unconditional
// (no resourceVersion) and a conflict cannot starve it.
import { type Pod, PodStatus } from "@mk/proto";
import type { Logger } from "pino";
import type { PodApi } from "./api.js";

export class StatusManager {
  private readonly api: PodApi;
  private readonly log: Logger;
  /** uid → JSON of the status last posted. */
  private readonly posted = new Map<string, string>();
  /** Number of status writes, for tests and metrics. */
  writes = 0;

  constructor(api: PodApi, log: Logger) {
    this.api = api;
    this.log = log;
  }

  /** Writes status unless the API (as cached in pod) or the last post already says the same. */
  async set(pod: Pod, status: PodStatus, signal?: AbortSignal): Promise<void> {
    const uid = pod.metadata?.uid ?? "";
    const next = JSON.stringify(PodStatus.toJSON(status));
    if (this.posted.get(uid) === next) return;
    if (pod.status && JSON.stringify(PodStatus.toJSON(pod.status)) === next) {
      this.posted.set(uid, next);
      return;
    }
    const meta = pod.metadata;
    if (!meta) return;
    const obj: Pod = { ...pod, metadata: { ...meta, resourceVersion: "" }, status };
    await this.api.updateStatus(obj, signal);
    this.writes++;
    this.posted.set(uid, next);
    this.log.debug({ pod: `${meta.namespace}/${meta.name}`, phase: status.phase }, "pod status posted");
  }

  forget(uid: string): void {
    this.posted.delete(uid);
  }
}
