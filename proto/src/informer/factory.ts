// One informer per kind and selectors, shared by every controller of a process (client-go's
// SharedInformerFactory): one list+watch and one cache per kind, however many controllers read it.
import type { KindName, KindTypes } from "../api/kinds.js";
import type { Clientset } from "../client/clientset.js";
import type { Clock } from "./clock.js";
import { type Backoff, type Informer, newInformer, waitForCacheSync } from "./informer.js";
import type { Selectors } from "./listwatch.js";
import type { Logger } from "./logger.js";

export interface InformerFactoryOptions {
  /** Default resync period for every informer (0: none). */
  resyncMs?: number;
  backoff?: Backoff;
  logger?: Logger;
  clock?: Clock;
}

export class InformerFactory {
  private readonly client: Pick<Clientset, "resource">;
  private readonly opts: InformerFactoryOptions;
  private readonly informers = new Map<string, Informer<KindTypes[KindName]>>();
  private signal: AbortSignal | undefined;

  constructor(client: Pick<Clientset, "resource">, opts: InformerFactoryOptions = {}) {
    this.client = client;
    this.opts = opts;
  }

  /** The shared informer of kind (and selectors); created on first request, started if the factory is. */
  informerFor<K extends KindName>(kind: K, sel: Selectors = {}): Informer<KindTypes[K]> {
    const id = [kind, sel.namespace ?? "", sel.labelSelector ?? "", sel.fieldSelector ?? ""].join("\u0000");
    let inf = this.informers.get(id) as Informer<KindTypes[K]> | undefined;
    if (!inf) {
      inf = newInformer(this.client.resource(kind), { ...sel, ...this.opts });
      this.informers.set(id, inf as unknown as Informer<KindTypes[KindName]>);
      if (this.signal) inf.start(this.signal);
    }
    return inf;
  }

  /** Starts every informer requested so far, and those requested later. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const inf of this.informers.values()) inf.start(signal);
  }

  /** Waits until every informer requested so far has synced; false if the signal aborts first. */
  waitForSync(signal: AbortSignal): Promise<boolean> {
    return waitForCacheSync(signal, ...this.informers.values());
  }

  /** Stops every informer and waits for them. Idempotent. */
  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
