// Where an informer gets its objects: a list (with the version it was read at) and a watch from a
// version. The real one wraps a ResourceClient; tests pass a fake to script gaps and expiries.
import type { KindName, KindTypes } from "../api/kinds.js";
import type { ResourceClient, TypedWatchEvent } from "../client/resource.js";

export interface ListSnapshot<T> {
  items: T[];
  /** The version of the list as a whole: a watch from it sees every later change. */
  resourceVersion: string;
}

export interface ListerWatcher<T> {
  list(signal: AbortSignal): Promise<ListSnapshot<T>>;
  /**
   * Events strictly after resourceVersion, with BOOKMARKs. Throws ExpiredError when that version is
   * compacted away; ends quietly when the signal aborts (or the server ends the stream).
   */
  watch(resourceVersion: string, signal: AbortSignal): AsyncIterable<TypedWatchEvent<T>>;
}

export interface Selectors {
  /** Empty or absent: every namespace. */
  namespace?: string;
  labelSelector?: string;
  /** e.g. `spec.nodeName=n1`. */
  fieldSelector?: string;
}

/** The ListerWatcher of one kind through the API, restricted by the selectors. */
export function listWatchFor<K extends KindName>(client: ResourceClient<K>, sel: Selectors = {}): ListerWatcher<KindTypes[K]> {
  return {
    async list(signal) {
      const res = await client.list({ ...sel, signal });
      return { items: res.items, resourceVersion: res.resourceVersion };
    },
    watch(resourceVersion, signal) {
      return client.watch({ ...sel, resourceVersion, allowBookmarks: true, signal });
    },
  };
}
