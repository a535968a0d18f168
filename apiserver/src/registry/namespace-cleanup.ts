// Deleting a namespace deletes what is in it: a background loop deletes every object in each
// Terminating namespace (pods on nodes gracefully, through their kubelets), and the namespace
// itself once nothing is left — the work of Kubernetes' namespace controller.
import { KIND_NAMES, KINDS, type Namespace } from "@mk/proto";
import { NotFoundError } from "@mk/proto/client";
import type { Logger } from "pino";
import { deleteObject } from "./deletion.js";
import type { Store } from "./store.js";

export interface NamespaceCleanupOptions {
  /** How often terminating namespaces are looked at again (pods waiting for kubelets); default 2 s. */
  intervalMs?: number;
  log: Logger;
}

export class NamespaceCleanup {
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly terminating = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private offChange: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly options: NamespaceCleanupOptions,
  ) {}

  start(): void {
    this.offChange = this.store.namespaces.onChange((ns: Namespace) => {
      const name = ns.metadata?.name ?? "";
      if (ns.metadata?.deletionTimestamp) {
        this.terminating.add(name);
        this.kick(name);
      } else {
        this.terminating.delete(name);
      }
    });
    // Namespaces left Terminating by a previous run.
    void this.store.storage.list("Namespace", "").then(
      (page) => {
        for (const ns of page.items) {
          if (ns.metadata?.deletionTimestamp) {
            this.terminating.add(ns.metadata.name);
            this.kick(ns.metadata.name);
          }
        }
      },
      (err: unknown) => this.options.log.warn({ err }, "namespace cleanup: initial list failed"),
    );
    this.timer = setInterval(() => {
      for (const name of this.terminating) this.kick(name);
    }, this.options.intervalMs ?? 2_000);
    this.timer.unref();
  }

  private kick(name: string): void {
    if (this.stopped) return;
    if (this.running.has(name)) {
      this.again.add(name);
      return;
    }
    this.running.add(name);
    void this.cleanup(name)
      .catch((err: unknown) => this.options.log.warn({ err, namespace: name }, "namespace cleanup failed; will retry"))
      .finally(() => {
        this.running.delete(name);
        if (this.again.delete(name)) this.kick(name);
      });
  }

  /** One pass: delete what is not yet being deleted; remove the namespace when it is empty. */
  private async cleanup(namespace: string): Promise<void> {
    let remaining = 0;
    for (const kind of KIND_NAMES) {
      if (!KINDS[kind].namespaced) continue;
      const page = await this.store.storage.list(kind, namespace);
      for (const obj of page.items) {
        if (obj.metadata?.deletionTimestamp) {
          remaining++;
          continue;
        }
        try {
          const out = await deleteObject(this.store, kind, namespace, obj.metadata?.name ?? "", { propagationPolicy: "Background", dryRun: false });
          if (out.pending) remaining++;
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err; // gone already: fine
        }
      }
    }
    if (remaining > 0) return;
    const ns = await this.store.storage.get("Namespace", "", namespace);
    if (!ns?.metadata?.deletionTimestamp) return;
    if (ns.metadata.finalizers.length > 0) return; // waits for whoever put them there
    await this.store.storage.remove("Namespace", "", namespace, ns.metadata.resourceVersion).catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
    this.terminating.delete(namespace);
    this.options.log.info({ namespace }, "namespace deleted");
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.offChange?.();
  }
}
