// An API watch that records the names it sees ADDED, for tests that check no event is lost while
// etcd members move, die or are cut: the names, why it ended if it did, and a way to stop it.
import { type KindName, type KindTypes, metaOf } from "@mk/proto";
import type { Clientset, TypedWatchEvent } from "@mk/proto/client";

export interface AddedNames {
  readonly seen: ReadonlySet<string>;
  /** Why the watch ended or failed before stop(); undefined while it runs. */
  ended(): string | undefined;
  stop(): Promise<void>;
}

export function watchAdded<K extends KindName>(cs: Clientset, kind: K, namespace: string, fromRevision: string): AddedNames {
  const ac = new AbortController();
  const it = cs.resource(kind).watch({ namespace, resourceVersion: fromRevision, signal: ac.signal });
  const seen = new Set<string>();
  let ended: string | undefined;
  const reader = (async () => {
    try {
      for (;;) {
        const r: IteratorResult<TypedWatchEvent<KindTypes[K]>> = await it.next();
        if (r.done) {
          ended = "the watch ended";
          return;
        }
        if (r.value.type === "ADDED") seen.add(metaOf(r.value.object).name);
      }
    } catch (err) {
      if (!ac.signal.aborted) ended = `the watch failed: ${String(err)}`;
    }
  })();
  return {
    seen,
    ended: () => ended,
    stop: async () => {
      ac.abort();
      await reader;
    },
  };
}
