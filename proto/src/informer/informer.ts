// Informer: keeps a local store of one kind (optionally narrowed by selectors) in step with the API
// and tells handlers what changed, as client-go's reflector + shared informer do:
//
//   list → fill the store → watch from the list's resourceVersion (with BOOKMARKs) → apply events
//
// When the watch fails it reconnects from the last version seen (BOOKMARKs included), after a delay
// that doubles from 500 ms to 5 s (client-go's reflector: 800 ms to 30 s; see DEFAULT_BACKOFF). When that version has been compacted away (ExpiredError) it relists
// and reconciles the store with the fresh list, firing exactly what happened during the gap: one
// delete for each object that vanished, an add for each new one, an update for each one whose
// resourceVersion moved, and nothing for objects that did not change.
//
// Handlers run synchronously, in registration order, and should only enqueue a key (sample-controller).
// The objects they get are the store's own: read-only, shared by every handler.
import type { KindName, KindTypes } from "../api/kinds.js";
import { ExpiredError } from "../client/errors.js";
import type { ResourceClient, TypedWatchEvent } from "../client/resource.js";
import { type Clock, realClock } from "./clock.js";
import { type ListerWatcher, listWatchFor, type Selectors } from "./listwatch.js";
import { errField, type Logger, noopLogger } from "./logger.js";
import { type DeepReadonly, type HasMeta, type ObjectStore, objectKey, Store } from "./store.js";

export interface EventHandlers<T> {
  add: (obj: DeepReadonly<T>) => void;
  /** Also fired with oldObj === newObj by the periodic resync. */
  update: (oldObj: DeepReadonly<T>, newObj: DeepReadonly<T>) => void;
  /** The object's last state: from the DELETED event, or the cached one when a relist found it gone. */
  delete: (obj: DeepReadonly<T>) => void;
}

export type InformerEvent = keyof EventHandlers<unknown>;

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

// 5 s, not client-go's 30 s: the gRPC channel under every informer already reconnects at most 5 s
// apart (client/connect.ts), a small cluster's few informers cost a down API server nothing, and the
// long run of the chaos suite spent up to 16 s of its convergence after an API server's restart in
// informers still sleeping out a back-off that had doubled while it was down.
export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 5_000 };

export interface InformerOptions {
  /** Names the informer in logs, e.g. the kind. */
  name?: string;
  /** Every resyncMs, fire update(obj, obj) for every cached object (client-go's resync). 0: never. */
  resyncMs?: number;
  /** Reconnect delay after a failed list or watch; default 500 ms doubling to 5 s. */
  backoff?: Backoff;
  logger?: Logger;
  clock?: Clock;
}

/** The next reconnect delay: doubles, bounded by the policy's maximum. */
export function nextDelay(policy: Backoff, current: number): number {
  return Math.min(policy.maxMs, Math.max(policy.initialMs, current * 2));
}

type HandlerSets<T> = { [E in InformerEvent]: Set<EventHandlers<T>[E]> };

export class Informer<T extends HasMeta> {
  readonly name: string;
  private readonly lw: ListerWatcher<T>;
  private readonly items = new Store<T>();
  private readonly handlers: HandlerSets<T> = { add: new Set(), update: new Set(), delete: new Set() };
  private readonly resyncMs: number;
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private readonly clock: Clock;
  private resourceVersion = "";
  private synced = false;
  private syncWaiters: Array<(synced: boolean) => void> = [];
  private abort: AbortController | undefined;
  private done: Promise<void> | undefined;

  constructor(lw: ListerWatcher<T>, opts: InformerOptions = {}) {
    this.lw = lw;
    this.name = opts.name ?? "informer";
    this.resyncMs = opts.resyncMs ?? 0;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.log = opts.logger ?? noopLogger;
    this.clock = opts.clock ?? realClock;
  }

  /** The read-only cache. */
  get store(): ObjectStore<T> {
    return this.items;
  }

  /**
   * Registers a handler. An `add` handler registered after objects arrived is first called for each
   * of them (as client-go's AddEventHandler), so a late controller sees the whole cache.
   */
  on<E extends InformerEvent>(event: E, fn: EventHandlers<T>[E]): void {
    this.handlers[event].add(fn);
    if (event === "add") {
      const add = fn as EventHandlers<T>["add"];
      for (const obj of this.items.list()) this.call(event, () => add(obj));
    }
  }

  off<E extends InformerEvent>(event: E, fn: EventHandlers<T>[E]): void {
    this.handlers[event].delete(fn);
  }

  /** Registers several handlers at once; returns a function that removes them. */
  addEventHandler(h: Partial<EventHandlers<T>>): () => void {
    if (h.update) this.on("update", h.update);
    if (h.delete) this.on("delete", h.delete);
    if (h.add) this.on("add", h.add);
    return () => {
      if (h.add) this.off("add", h.add);
      if (h.update) this.off("update", h.update);
      if (h.delete) this.off("delete", h.delete);
    };
  }

  /** true once the first list has filled the store. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** The last version seen (list, event or BOOKMARK): where a reconnect watches from. */
  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  /** Resolves true once synced; false when the signal aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted || this.abort?.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => finish(false);
      const finish = (ok: boolean) => {
        signal?.removeEventListener("abort", onAbort);
        this.syncWaiters = this.syncWaiters.filter((w) => w !== finish);
        resolve(ok);
      };
      this.syncWaiters.push(finish);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Starts listing and watching in the background, until the signal aborts or stop(). A second
   * call does nothing, nor does a call after stop(): an informer runs once.
   */
  start(signal?: AbortSignal): void {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    if (signal) {
      if (signal.aborted) abort.abort(signal.reason);
      else signal.addEventListener("abort", () => abort.abort(signal.reason), { once: true });
    }
    abort.signal.addEventListener("abort", () => this.releaseWaiters(), { once: true });
    this.done = Promise.all([this.run(abort.signal), this.resyncLoop(abort.signal)]).then(
      () => {},
      (err: unknown) => this.log.error({ informer: this.name, ...errField(err) }, "informer stopped on an unexpected error"),
    );
  }

  /** Stops and waits until the background work has ended. Idempotent. */
  async stop(): Promise<void> {
    if (!this.abort) {
      this.abort = new AbortController();
    }
    this.abort.abort();
    this.releaseWaiters();
    await this.done;
  }

  private releaseWaiters(): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w(this.synced);
  }

  private async run(signal: AbortSignal): Promise<void> {
    let delay = this.backoff.initialMs;
    let needList = true;
    while (!signal.aborted) {
      let listedNow = false;
      const progress = { events: 0 };
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
          listedNow = true;
        }
        await this.watch(signal, progress);
        if (signal.aborted) break;
        this.log.info({ informer: this.name, resourceVersion: this.resourceVersion, events: progress.events }, "watch ended; reconnecting");
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof ExpiredError) {
          this.log.info({ informer: this.name, resourceVersion: this.resourceVersion }, "watch version expired; relisting");
          needList = true;
          // Relist at once, unless the version of a list we just made already expired: then back off.
          if (!listedNow || progress.events > 0) continue;
        } else {
          this.log.warn({ informer: this.name, resourceVersion: this.resourceVersion, delayMs: delay, ...errField(err) }, "list or watch failed; retrying");
        }
      }
      // A watch that delivered events was healthy: reconnect soon. One that failed or ended with
      // nothing waits, 500 ms, 1 s, 2 s, 4 s, 5 s, so a down server is not hammered.
      if (progress.events > 0) delay = this.backoff.initialMs;
      try {
        await this.clock.sleep(delay, signal);
      } catch {
        break; // aborted while waiting: stopping
      }
      if (progress.events === 0) delay = nextDelay(this.backoff, delay);
    }
  }

  private async watch(signal: AbortSignal, progress: { events: number }): Promise<void> {
    for await (const ev of this.lw.watch(this.resourceVersion, signal)) {
      if (signal.aborted) return;
      progress.events++;
      this.apply(ev);
    }
  }

  private apply(ev: TypedWatchEvent<T>): void {
    const rv = ev.object.metadata?.resourceVersion ?? "";
    const key = objectKey(ev.object);
    switch (ev.type) {
      case "BOOKMARK":
        break;
      case "ADDED":
      case "MODIFIED": {
        const ro = ev.object as DeepReadonly<T>;
        const old = this.items.set(key, ev.object);
        if (old) this.emitUpdate(old, ro);
        else this.emitAdd(ro);
        break;
      }
      case "DELETED": {
        // Only objects we had: a delete for something never seen (or already removed) tells no one.
        if (this.items.delete(key)) this.emitDelete(ev.object as DeepReadonly<T>);
        break;
      }
      default:
        this.log.warn({ informer: this.name, type: ev.type, key }, "unknown watch event type ignored");
    }
    if (rv) this.resourceVersion = rv;
  }

  /**
   * Replaces the store with a fresh list. Objects gone from the list get a delete; new ones an add;
   * ones whose resourceVersion moved an update; a name now held by a different object (uid changed:
   * deleted and recreated during the gap) a delete of the old one and an add of the new one.
   */
  private async relist(signal: AbortSignal): Promise<void> {
    const snap = await this.lw.list(signal);
    if (signal.aborted) return;
    const fresh = new Map<string, T>();
    for (const obj of snap.items) fresh.set(objectKey(obj), obj);
    let added = 0;
    let updated = 0;
    let deleted = 0;
    for (const key of this.items.keys()) {
      if (fresh.has(key)) continue;
      const old = this.items.delete(key)!;
      deleted++;
      this.emitDelete(old);
    }
    for (const [key, obj] of fresh) {
      const ro = obj as DeepReadonly<T>;
      const old = this.items.get(key);
      if (!old) {
        this.items.set(key, obj);
        added++;
        this.emitAdd(ro);
      } else if (old.metadata?.uid && obj.metadata?.uid && old.metadata.uid !== obj.metadata.uid) {
        this.items.set(key, obj);
        deleted++;
        added++;
        this.emitDelete(old);
        this.emitAdd(ro);
      } else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
        this.items.set(key, obj);
        updated++;
        this.emitUpdate(old, ro);
      }
      // else: unchanged; keep the cached instance and tell no one.
    }
    this.resourceVersion = snap.resourceVersion;
    this.log.info(
      { informer: this.name, resourceVersion: snap.resourceVersion, objects: fresh.size, added, updated, deleted },
      "listed",
    );
    if (!this.synced) {
      this.synced = true;
      this.releaseWaiters();
    }
  }

  private async resyncLoop(signal: AbortSignal): Promise<void> {
    if (this.resyncMs <= 0) return;
    while (!signal.aborted) {
      try {
        await this.clock.sleep(this.resyncMs, signal);
      } catch {
        return; // aborted: stopping
      }
      if (!this.synced) continue;
      for (const obj of this.items.list()) this.emitUpdate(obj, obj);
    }
  }

  private emitAdd(obj: DeepReadonly<T>): void {
    for (const fn of this.handlers.add) this.call("add", () => fn(obj));
  }

  private emitUpdate(oldObj: DeepReadonly<T>, newObj: DeepReadonly<T>): void {
    for (const fn of this.handlers.update) this.call("update", () => fn(oldObj, newObj));
  }

  private emitDelete(obj: DeepReadonly<T>): void {
    for (const fn of this.handlers.delete) this.call("delete", () => fn(obj));
  }

  /** A throwing handler must not stop the informer or the other handlers. */
  private call(event: InformerEvent, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ informer: this.name, event, ...errField(err) }, "event handler threw");
    }
  }
}

export interface KindInformerOptions extends Selectors, InformerOptions {}

/** An informer of one kind through the API. */
export function newInformer<K extends KindName>(client: ResourceClient<K>, opts: KindInformerOptions = {}): Informer<KindTypes[K]> {
  const { namespace, labelSelector, fieldSelector, ...rest } = opts;
  return new Informer(listWatchFor(client, { namespace, labelSelector, fieldSelector }), { name: client.kind, ...rest });
}

/** Waits until every informer has synced; false when the signal aborts first. */
export async function waitForCacheSync(signal: AbortSignal, ...informers: Array<{ waitForSync(signal?: AbortSignal): Promise<boolean> }>): Promise<boolean> {
  const results = await Promise.all(informers.map((i) => i.waitForSync(signal)));
  return results.every(Boolean);
}
