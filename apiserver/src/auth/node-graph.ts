// Which ConfigMaps and Secrets each node may read (Kubernetes' node authorizer graph, in small): an
// edge node → ConfigMap/Secret for every pod bound to the node that refers to the object
// (@mk/proto's podReferences), counted, so the edge goes with the last such pod. Kept from the
// watch hub's Pod events after one list, so a node's read costs a map lookup. The hub may lag a
// pod written a moment ago (or written through another API server): a miss is checked against
// etcd, the pods of that namespace on that node, before the node is refused.
import { type KindName, objectKey, type Pod, podReferences } from "@mk/proto";
import type { Logger } from "pino";
import type { EtcdStorage } from "../storage/etcd.js";
import type { WatchHub } from "../watch/hub.js";

export type ReferencedKind = Extract<KindName, "ConfigMap" | "Secret">;

const edgeKey = (node: string, kind: ReferencedKind, namespace: string, name: string) => `${node}\u0000${kind}\u0000${namespace}\u0000${name}`;

/** The edges one pod gives: its node's reads of what it refers to. */
function edgesOf(pod: Pod): string[] {
  const node = pod.spec?.nodeName ?? "";
  if (!node) return [];
  const ns = pod.metadata?.namespace || "default";
  const refs = podReferences(pod.spec);
  return [...[...refs.configMaps].map((n) => edgeKey(node, "ConfigMap", ns, n)), ...[...refs.secrets].map((n) => edgeKey(node, "Secret", ns, n))];
}

export class NodeGraph {
  /** Pod key → the edges it contributes. */
  private readonly pods = new Map<string, string[]>();
  /** Edge → how many pods give it. */
  private readonly edges = new Map<string, number>();
  private ready = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly storage: EtcdStorage,
    private readonly hub: WatchHub,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const page = await this.storage.list("Pod", "");
    this.pods.clear();
    this.edges.clear();
    for (const p of page.items) this.set(objectKey(p), edgesOf(p));
    const unsub = this.hub.subscribe("Pod", Number(page.revision), {
      onEvent: (ev) => {
        const key = `${ev.namespace}/${ev.name}`;
        if (ev.type === "delete" || !ev.object) this.set(key, []);
        else this.set(key, edgesOf(ev.object as Pod));
      },
      onError: () => {
        // The hub restarts itself; until a fresh list, every read is checked against etcd.
        this.ready = false;
        this.unsubscribe = undefined;
        setTimeout(() => void this.restart(), 500);
      },
    });
    if (!unsub) throw new Error("watch hub does not reach back to the pod list");
    this.unsubscribe = unsub;
    this.ready = true;
  }

  private async restart(): Promise<void> {
    for (let delay = 500; !this.stopped && !this.ready; delay = Math.min(delay * 2, 10_000)) {
      try {
        await this.start();
      } catch (err) {
        this.log.warn({ err, delayMs: delay }, "node authorizer graph not rebuilt; retrying");
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private set(podKey: string, edges: string[]): void {
    for (const e of this.pods.get(podKey) ?? []) {
      const n = (this.edges.get(e) ?? 1) - 1;
      if (n <= 0) this.edges.delete(e);
      else this.edges.set(e, n);
    }
    if (edges.length === 0) this.pods.delete(podKey);
    else this.pods.set(podKey, edges);
    for (const e of edges) this.edges.set(e, (this.edges.get(e) ?? 0) + 1);
  }

  /** Whether a pod bound to `node` refers to the object; a miss is checked against etcd. */
  async references(node: string, kind: ReferencedKind, namespace: string, name: string): Promise<boolean> {
    const key = edgeKey(node, kind, namespace, name);
    if (this.ready && this.edges.has(key)) return true;
    const page = await this.storage.list("Pod", namespace);
    return page.items.some((p) => p.spec?.nodeName === node && edgesOf(p).includes(key));
  }

  /** Edges held (for tests and diagnostics). */
  get size(): number {
    return this.edges.size;
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }
}
