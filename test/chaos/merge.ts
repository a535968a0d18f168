// Puts the events of several watches (Deployments, ReplicaSets, Pods) back into one order: etcd's.
//
// Each watch is ordered, but two watches are not ordered with each other: the ReplicaSet controller
// deletes a pod (revision 100) and then reports its status (revision 101), yet the ReplicaSet
// watch may deliver 101 before the pod watch delivers 100. A checker fed in delivery order would see
// a ReplicaSet that says it has scaled down next to a pod that still runs. So events wait here
// until every watch has passed their revision (its last event or BOOKMARK, as the informer's
// lastSyncResourceVersion tells), then leave sorted by revision: the checkers see the cluster as it
// was at each revision. The cost is latency (a quiet watch moves on with its BOOKMARK, every 10 s).
//
// An event older than what already left (an informer's relist after an expired watch replays
// objects with their old revisions) is delivered at once and counted as late.

export interface Revisioned {
  /** etcd's revision of the event (the object's resourceVersion, or the delete's). */
  readonly rv: number;
}

export class OrderedMerge<E extends Revisioned> {
  private pending: E[] = [];
  private readonly marks = new Map<string, number>();
  private released = 0;
  /** Events that arrived after their revision had been passed (delivered out of order). */
  late = 0;

  constructor(
    streams: readonly string[],
    private readonly deliver: (e: E) => void,
  ) {
    for (const s of streams) this.marks.set(s, 0);
  }

  push(stream: string, e: E): void {
    if (e.rv <= this.released) {
      this.late += 1;
      this.deliver(e);
      return;
    }
    this.pending.push(e);
    this.advance(stream, e.rv);
  }

  /** The stream has seen everything up to rv (an event, a list or a BOOKMARK). */
  advance(stream: string, rv: number): void {
    const had = this.marks.get(stream);
    if (had === undefined) throw new Error(`unknown stream ${stream}`);
    if (rv > had) this.marks.set(stream, rv);
    this.flush(Math.min(...this.marks.values()));
  }

  /** Delivers everything still waiting (at the end of a run, when the watches are stopped). */
  drain(): void {
    this.flush(Number.POSITIVE_INFINITY);
  }

  private flush(upTo: number): void {
    if (upTo <= this.released) return;
    const ready = this.pending.filter((e) => e.rv <= upTo);
    if (ready.length === 0) {
      if (Number.isFinite(upTo)) this.released = upTo;
      return;
    }
    this.pending = this.pending.filter((e) => e.rv > upTo);
    // A stable sort: events of one revision keep their arrival order.
    ready.sort((a, b) => a.rv - b.rv);
    this.released = Number.isFinite(upTo) ? upTo : (ready[ready.length - 1]?.rv ?? this.released);
    for (const e of ready) this.deliver(e);
  }
}
