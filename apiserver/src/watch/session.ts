// One client's watch of one kind: the current objects as ADDED (when no resourceVersion is
// given), then every change after the version, filtered by namespace and selectors. A change
// that makes an object start or stop matching is sent as ADDED or DELETED, as Kubernetes does.
import { type AnyObject, isKindName, type KindName, KINDS, metaOf, type WatchEvent, type WatchRequest, wrap } from "@mk/proto";
import { BadRequestError, ExpiredError } from "@mk/proto/client";
import type { RawWatch } from "../storage/etcd.js";
import { kindPrefix, parseKey } from "../storage/keys.js";
import { parseSelectors, type Store } from "../registry/store.js";
import type { HubEvent, WatchHub } from "./hub.js";

export interface WatchSink {
  write(ev: WatchEvent): void;
  /** Ends the stream, with an error when it failed. */
  end(err?: Error): void;
}

export interface WatchContext {
  store: Store;
  hub: WatchHub;
  /** How often a watch that allows bookmarks gets one. */
  bookmarkIntervalMs: number;
}

type EventType = "ADDED" | "MODIFIED" | "DELETED";

/** The watch event a change makes for a watcher whose filter is `matches` (undefined: none). */
export function classify(ev: Pick<HubEvent, "type" | "object" | "prev">, matches: (o: AnyObject) => boolean): { type: EventType; object: AnyObject } | undefined {
  const was = ev.prev !== undefined && matches(ev.prev);
  if (ev.type === "delete") return was && ev.prev ? { type: "DELETED", object: ev.prev } : undefined;
  const obj = ev.object;
  if (!obj) return undefined;
  const is = matches(obj);
  if (is) return { type: was ? "MODIFIED" : "ADDED", object: obj };
  // It stopped matching: for this watcher it is gone (Kubernetes sends the new state).
  return was ? { type: "DELETED", object: obj } : undefined;
}

/** Sets up the watch; events flow to `sink` until `signal` aborts or the watch fails. */
export async function startWatch(ctx: WatchContext, req: WatchRequest, sink: WatchSink, signal: AbortSignal): Promise<void> {
  if (!isKindName(req.kind)) throw new BadRequestError(`unknown kind "${req.kind}"`);
  const kind: KindName = req.kind;
  const info = KINDS[kind];
  const namespace = info.namespaced ? req.namespace : "";
  const { labels, fields } = parseSelectors(kind, req.labelSelector, req.fieldSelector);
  const matches = (o: AnyObject): boolean =>
    (!namespace || o.metadata?.namespace === namespace) && labels.matches(o.metadata?.labels) && fields.matches(o);

  let delivered = 0; // highest revision sent
  let closed = false;
  let unsubscribe: (() => void) | undefined;
  let direct: RawWatch | undefined;
  let timer: NodeJS.Timeout | undefined;

  const close = (err?: Error) => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    void direct?.cancel();
    if (timer) clearInterval(timer);
    signal.removeEventListener("abort", onAbort);
    sink.end(err);
  };
  const onAbort = () => close();
  signal.addEventListener("abort", onAbort);

  const send = (type: string, object: AnyObject) => {
    if (closed) return;
    sink.write({ type, object: wrap(kind, object) });
  };
  const onEvent = (ev: HubEvent) => {
    if (ev.revision > delivered) delivered = ev.revision;
    if (namespace && ev.namespace !== namespace) return;
    const out = classify(ev, matches);
    if (out) send(out.type, out.object);
  };

  let from: number;
  if (!req.resourceVersion || req.resourceVersion === "0") {
    const page = await ctx.store.storage.list(kind, namespace);
    for (const o of page.items) if (matches(o)) send("ADDED", o);
    from = Number(page.revision);
  } else {
    if (!/^\d+$/.test(req.resourceVersion)) throw new BadRequestError(`invalid resourceVersion "${req.resourceVersion}"`);
    from = Number(req.resourceVersion);
    // A start in the future would wait, silently, until etcd got there: refuse it (Kubernetes
    // answers "Too large resource version"). The hub may lag a just-made write, so ask etcd.
    if (from > ctx.hub.lastRevision) {
      const current = Number(await ctx.store.storage.currentRevision());
      if (!Number.isSafeInteger(from) || from > current) {
        throw new BadRequestError(`Too large resource version: resourceVersion "${req.resourceVersion}" is newer than the current revision ${current}`);
      }
    }
    // A start in compacted history is "expired" (the client relists), even when the hub's
    // window still holds those events: the answer must not depend on this server's memory.
    if (from + 1 <= ctx.hub.lastRevision) await ctx.store.storage.assertNotCompacted(String(from + 1));
  }
  if (signal.aborted) {
    close();
    return;
  }
  delivered = from;
  const onError = (err: Error) => close(err instanceof ExpiredError ? err : new ExpiredError(`watch ended: ${err.message}`, { cause: err }));
  const unsub = ctx.hub.subscribe(kind, from, { onEvent, onError });
  if (unsub) {
    unsubscribe = unsub;
  } else {
    // Older than the hub's window but not compacted: an etcd watch of our own from there.
    direct = ctx.store.storage.watch(kindPrefix(kind, namespace), String(from + 1), {
      onEvents: (events) => {
        for (const raw of events) {
          const k = parseKey(raw.key);
          if (!k || k.kind !== kind) continue;
          const object = raw.value ? ctx.store.storage.decode(kind, raw.value, raw.modRevision) : undefined;
          const prev = raw.prevValue ? ctx.store.storage.decode(kind, raw.prevValue, raw.type === "delete" ? raw.modRevision : "") : undefined;
          onEvent({ revision: Number(raw.modRevision), kind, namespace: k.namespace, name: k.name, type: raw.type, object, prev });
        }
      },
      onError,
    });
  }
  if (req.allowBookmarks) {
    timer = setInterval(() => {
      // From the hub, everything up to its revision has been delivered to us; from our own etcd
      // watch, only what we have seen.
      const rev = unsubscribe ? Math.max(delivered, ctx.hub.lastRevision) : delivered;
      const obj = info.codec.decode(new Uint8Array());
      const meta = metaOf(obj);
      meta.resourceVersion = String(rev);
      const parts = obj as { apiVersion: string; kind: string };
      parts.apiVersion = info.apiVersion;
      parts.kind = info.kind;
      send("BOOKMARK", obj);
    }, ctx.bookmarkIntervalMs);
    timer.unref();
  }
}
