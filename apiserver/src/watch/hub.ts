// One etcd watch over every object, decoded once and fanned out to the API's watchers, with a
// window of recent events so that a watch from a recent resourceVersion needs no etcd watch of
// its own (kube-apiserver's watch cache, in small). Because it sees every write under /registry/,
// its last revision is the store's: everything up to it has been delivered, which is what a
// BOOKMARK promises.
import type { AnyObject, KindName } from "@mk/proto";
import type { EtcdStorage, RawEvent, RawWatch } from "../storage/etcd.js";
import { parseKey, REGISTRY_PREFIX } from "../storage/keys.js";

export interface HubEvent {
  revision: number;
  kind: KindName;
  namespace: string;
  name: string;
  type: "put" | "delete";
  /** The object after a put (resourceVersion = revision); shared by watchers, never to be changed. */
  readonly object: AnyObject | undefined;
  /** The object before the change; for a delete its resourceVersion is the delete's revision. */
  readonly prev: AnyObject | undefined;
}

export interface HubSubscriber {
  onEvent(ev: HubEvent): void;
  /** The hub lost its etcd watch: the subscriber must end (its client relists). */
  onError(err: Error): void;
}

export interface WatchHubOptions {
  /**
   * Events kept for watches that start in the past; default 2000. The window keeps each event's
   * encoded bytes only (a pod event ~1.3 KB; decoded, its two objects take ~7 KB of heap), copied out
   * of the gRPC message that carried them; a watch from further back than the window still works,
   * through an etcd watch of its own.
   */
  windowEvents?: number;
  onError?: (err: Error) => void;
}

/** A change as the window keeps it: the encoded objects, in buffers of their own. */
interface WindowEntry {
  revision: number;
  kind: KindName;
  namespace: string;
  name: string;
  type: "put" | "delete";
  modRevision: string;
  value: Uint8Array | undefined;
  prevValue: Uint8Array | undefined;
}

/** What the window holds, for tests and diagnostics. */
export interface WindowStats {
  events: number;
  /** The encoded objects' bytes. */
  bytes: number;
  /** The bytes of the distinct buffers behind them (equal to `bytes` when nothing else is retained). */
  backingBytes: number;
}

/**
 * A copy in an ArrayBuffer of its own. etcd's values arrive as views into the gRPC message, which
 * for a small message is a slice of Node's shared 8 KB Buffer pool: one kept view would keep the
 * whole slab (and the message's other bytes) alive.
 */
function own(b: Uint8Array | undefined): Uint8Array | undefined {
  return b ? new Uint8Array(b) : undefined;
}

export class WatchHub {
  private readonly subscribers = new Map<KindName, Set<HubSubscriber>>();
  private readonly progressListeners = new Set<(revision: number) => void>();
  private window: WindowEntry[] = [];
  private readonly windowEvents: number;
  private watch: RawWatch | undefined;
  private stopped = false;
  /** Every event with a revision >= coveredFrom is in the window or still to come. */
  private coveredFrom = 0;
  private last = 0;

  constructor(
    private readonly storage: EtcdStorage,
    private readonly options: WatchHubOptions = {},
  ) {
    this.windowEvents = options.windowEvents ?? 2_000;
  }

  /** The store's revision as far as the hub has seen: every change up to it has been delivered. */
  get lastRevision(): number {
    return this.last;
  }

  get oldestCovered(): number {
    return this.coveredFrom;
  }

  async start(): Promise<void> {
    const rev = Number(await this.storage.currentRevision());
    this.window = [];
    this.coveredFrom = rev + 1;
    this.last = rev;
    this.watch = this.storage.watch(REGISTRY_PREFIX, String(rev + 1), {
      onEvents: (events, revision) => this.onEvents(events, Number(revision)),
      onError: (err) => this.onWatchError(err),
    });
  }

  private onEvents(events: RawEvent[], revision: number): void {
    for (const raw of events) {
      const k = parseKey(raw.key);
      if (!k) continue;
      const entry: WindowEntry = {
        revision: Number(raw.modRevision),
        kind: k.kind,
        namespace: k.namespace,
        name: k.name,
        type: raw.type,
        modRevision: raw.modRevision,
        value: own(raw.value),
        prevValue: own(raw.prevValue),
      };
      this.window.push(entry);
      if (entry.revision > this.last) this.last = entry.revision;
      const subs = this.subscribers.get(entry.kind);
      if (!subs || subs.size === 0) continue;
      // Decoded once for every current watcher; the window keeps only the bytes.
      const ev = this.eventOf(entry);
      for (const s of subs) s.onEvent(ev);
    }
    if (this.window.length > this.windowEvents) {
      const drop = this.window.length - this.windowEvents;
      this.coveredFrom = (this.window[drop - 1]?.revision ?? this.coveredFrom) + 1;
      this.window = this.window.slice(drop);
    }
    if (revision > this.last) this.last = revision;
    for (const l of this.progressListeners) l(this.last);
  }

  /**
   * The event of a window entry, decoding each object on first use (watchers of a kind that never
   * read it cost nothing). Made per delivery: the decoded objects live as long as the watchers'
   * use of them, never in the window.
   */
  private eventOf(e: WindowEntry): HubEvent {
    const storage = this.storage;
    let object: AnyObject | undefined;
    let prev: AnyObject | undefined;
    return {
      revision: e.revision,
      kind: e.kind,
      namespace: e.namespace,
      name: e.name,
      type: e.type,
      get object() {
        if (object === undefined && e.value) object = storage.decode(e.kind, e.value, e.modRevision);
        return object;
      },
      get prev() {
        // A deleted object is reported with the delete's revision, as Kubernetes does.
        if (prev === undefined && e.prevValue) prev = storage.decode(e.kind, e.prevValue, e.type === "delete" ? e.modRevision : "");
        return prev;
      },
    };
  }

  windowStats(): WindowStats {
    let bytes = 0;
    let backingBytes = 0;
    const seen = new Set<ArrayBufferLike>();
    for (const e of this.window) {
      for (const b of [e.value, e.prevValue]) {
        if (!b) continue;
        bytes += b.byteLength;
        if (!seen.has(b.buffer)) {
          seen.add(b.buffer);
          backingBytes += b.buffer.byteLength;
        }
      }
    }
    return { events: this.window.length, bytes, backingBytes };
  }

  private onWatchError(err: Error): void {
    if (this.stopped) return;
    this.options.onError?.(err);
    // Every subscriber may have missed events: end them all (their clients relist), start afresh.
    const all = [...this.subscribers.values()].flatMap((s) => [...s]);
    this.subscribers.clear();
    for (const s of all) s.onError(err);
    void this.restart();
  }

  private async restart(): Promise<void> {
    for (let delay = 200; !this.stopped; delay = Math.min(delay * 2, 5_000)) {
      try {
        await this.start();
        return;
      } catch (err) {
        this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /**
   * Delivers every event of `kind` with a revision > fromRevision: first those in the window,
   * then each as it comes. Returns undefined when the window no longer reaches back that far.
   */
  subscribe(kind: KindName, fromRevision: number, sub: HubSubscriber): (() => void) | undefined {
    if (fromRevision + 1 < this.coveredFrom) return undefined;
    for (const e of this.window) {
      if (e.kind === kind && e.revision > fromRevision) sub.onEvent(this.eventOf(e));
    }
    let set = this.subscribers.get(kind);
    if (!set) {
      set = new Set();
      this.subscribers.set(kind, set);
    }
    // When the hub lags behind a list read at fromRevision, events up to it may still arrive:
    // the guard skips them.
    const guarded: HubSubscriber = {
      onEvent: (ev) => {
        if (ev.revision > fromRevision) sub.onEvent(ev);
      },
      onError: (err) => sub.onError(err),
    };
    set.add(guarded);
    return () => {
      this.subscribers.get(kind)?.delete(guarded);
    };
  }

  /** Called after each batch with the hub's revision (for waiters such as tests and bookmarks). */
  onProgress(listener: (revision: number) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  /** Resolves when the hub has seen `revision` (or after timeoutMs). */
  async waitFor(revision: number, timeoutMs = 5_000): Promise<boolean> {
    if (this.last >= revision) return true;
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, timeoutMs);
      const off = this.onProgress((rev) => {
        if (rev >= revision) {
          clearTimeout(timer);
          off();
          resolve(true);
        }
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.subscribers.clear();
    this.progressListeners.clear();
    await this.watch?.cancel();
  }
}
