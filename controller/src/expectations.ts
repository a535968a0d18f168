// Controller expectations (Kubernetes' UIDTrackingControllerExpectations): after asking the API for
// n creates or deletes, a controller waits until its cache has seen them before it counts pods again,
// so a slow watch never makes it create twice. Records expire after 5 minutes so a lost event cannot
// wedge a ReplicaSet forever.

export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Record {
  add: number;
  del: number;
  /** Keys of pods whose deletion we wait for: an update with deletionTimestamp and the DELETED event count once. */
  deleting: Set<string>;
  at: number;
}

export class Expectations {
  private readonly records = new Map<string, Record>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Whether the controller may act on `key`: nothing outstanding, or the record expired. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.now() - r.at > EXPECTATIONS_TTL_MS;
  }

  expectCreations(key: string, n: number): void {
    this.records.set(key, { add: n, del: 0, deleting: new Set(), at: this.now() });
  }

  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.records.set(key, { add: 0, del: podKeys.length, deleting: new Set(podKeys), at: this.now() });
  }

  /** A create was seen in the cache, or failed (so will never be seen). */
  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.add--;
  }

  /** A pod we deleted was seen going (or the delete failed). Counted once per pod. */
  deletionObserved(key: string, podKey: string): void {
    const r = this.records.get(key);
    if (r?.deleting.delete(podKey)) r.del--;
  }

  delete(key: string): void {
    this.records.delete(key);
  }

  /** Outstanding creates and deletes, for logs and tests. */
  pending(key: string): { add: number; del: number } {
    const r = this.records.get(key);
    return { add: r?.add ?? 0, del: r?.del ?? 0 };
  }
}
