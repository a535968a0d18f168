// Which namespaces exist and which are terminating, kept from the watch hub so that a create
// need not read its namespace from etcd (one round trip saved per write). A miss is checked
// against etcd, since the hub may lag a namespace created a moment ago.
import type { Namespace } from "@mk/proto";
import { ForbiddenError, NotFoundError } from "@mk/proto/client";
import type { EtcdStorage } from "../storage/etcd.js";
import { resourceName } from "../storage/keys.js";
import type { WatchHub } from "../watch/hub.js";

export class NamespaceCache {
  private readonly terminating = new Map<string, { terminating: boolean; revision: number }>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly storage: EtcdStorage,
    private readonly hub: WatchHub,
  ) {}

  async start(): Promise<void> {
    const page = await this.storage.list("Namespace", "");
    for (const ns of page.items) this.observe(ns);
    const unsub = this.hub.subscribe("Namespace", Number(page.revision), {
      onEvent: (ev) => {
        const name = ev.name;
        if (ev.type === "delete") {
          if ((this.terminating.get(name)?.revision ?? 0) <= ev.revision) this.terminating.delete(name);
        } else if (ev.object) this.observe(ev.object as Namespace);
      },
      onError: () => {
        // The hub restarts itself; start over from a fresh list.
        this.unsubscribe = undefined;
        this.terminating.clear();
        setTimeout(() => void this.start().catch(() => {}), 500);
      },
    });
    if (!unsub) throw new Error("watch hub does not reach back to the namespace list");
    this.unsubscribe = unsub;
  }

  /**
   * Records a namespace as written or seen (the registry calls this right after its own writes,
   * so that this server never answers from a state older than what it wrote). Older news is ignored.
   */
  observe(ns: Namespace): void {
    const name = ns.metadata?.name ?? "";
    const revision = Number(ns.metadata?.resourceVersion ?? 0);
    const known = this.terminating.get(name);
    if (known && known.revision > revision) return;
    this.terminating.set(name, { terminating: !!ns.metadata?.deletionTimestamp || ns.status?.phase === "Terminating", revision });
  }

  names(): string[] {
    return [...this.terminating.keys()];
  }

  /** NotFound when the namespace does not exist, Forbidden when it is being deleted. */
  async assertWritable(namespace: string, resource: string, name: string): Promise<void> {
    let terminating = this.terminating.get(namespace)?.terminating;
    if (terminating === undefined) {
      const ns = await this.storage.get("Namespace", "", namespace);
      if (!ns) throw new NotFoundError(`${resourceName("Namespace")} "${namespace}" not found`);
      terminating = !!ns.metadata?.deletionTimestamp;
    }
    if (terminating) {
      throw new ForbiddenError(`${resource} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  stop(): void {
    this.unsubscribe?.();
  }
}
