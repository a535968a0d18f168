// An in-memory stand-in for the API server's pod side, for the kubelet's loop tests until (and beside)
// the real harness: list+watch with resourceVersions, status writes, graceful and final deletes,
// and a record of every status write and event.
import { type Pod, PodStatus } from "@mk/proto";
import type { TypedWatchEvent } from "@mk/proto/client";
import type { ListerWatcher, ListSnapshot } from "@mk/proto/informer";
import type { PodApi } from "@mk/kubelet/sync/api.js";
import type { EventType, PodEvents } from "@mk/kubelet/sync/pod-sync.js";

interface Subscriber {
  push(ev: TypedWatchEvent<Pod>): void;
}

export interface RecordedEvent {
  pod: string;
  type: EventType;
  reason: string;
  message: string;
  at: number;
}

export class FakePodApi implements PodApi, PodEvents {
  private rv = 1;
  private readonly pods = new Map<string, Pod>();
  private readonly subs = new Set<Subscriber>();
  readonly statusWrites: { pod: string; status: PodStatus }[] = [];
  readonly events: RecordedEvent[] = [];
  readonly source: ListerWatcher<Pod>;

  constructor() {
    const self = this;
    this.source = {
      async list(): Promise<ListSnapshot<Pod>> {
        return { items: [...self.pods.values()].map(clone), resourceVersion: String(self.rv) };
      },
      watch(rv: string, signal: AbortSignal): AsyncIterable<TypedWatchEvent<Pod>> {
        return self.stream(Number(rv) || 0, signal);
      },
    };
  }

  private readonly history: { rv: number; ev: TypedWatchEvent<Pod> }[] = [];

  /** Events strictly after fromRv (as a real watch), then live ones. */
  private async *stream(fromRv: number, signal: AbortSignal): AsyncGenerator<TypedWatchEvent<Pod>> {
    const queue: TypedWatchEvent<Pod>[] = this.history.filter((h) => h.rv > fromRv).map((h) => ({ type: h.ev.type, object: clone(h.ev.object) }));
    let wake: (() => void) | undefined;
    const sub: Subscriber = {
      push(ev) {
        queue.push(ev);
        wake?.();
      },
    };
    this.subs.add(sub);
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        const ev = queue.shift();
        if (ev) {
          yield ev;
          continue;
        }
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
      }
    } finally {
      this.subs.delete(sub);
      signal.removeEventListener("abort", onAbort);
    }
  }

  private emit(type: TypedWatchEvent<Pod>["type"], pod: Pod): void {
    this.history.push({ rv: this.rv, ev: { type, object: clone(pod) } });
    for (const s of this.subs) s.push({ type, object: clone(pod) });
  }

  private bump(pod: Pod): void {
    this.rv++;
    if (pod.metadata) pod.metadata.resourceVersion = String(this.rv);
  }

  get(namespace: string, name: string): Pod | undefined {
    const p = this.pods.get(`${namespace}/${name}`);
    return p ? clone(p) : undefined;
  }

  create(pod: Pod): void {
    const p = clone(pod);
    this.bump(p);
    this.pods.set(key(p), p);
    this.emit("ADDED", p);
  }

  /** A user's delete: sets deletionTimestamp; the kubelet finishes with deleteNow. */
  deleteGracefully(namespace: string, name: string, graceSeconds?: number): void {
    const p = this.pods.get(`${namespace}/${name}`);
    if (!p?.metadata) return;
    p.metadata.deletionTimestamp = new Date().toISOString();
    if (graceSeconds !== undefined) p.metadata.deletionGracePeriodSeconds = graceSeconds;
    this.bump(p);
    this.emit("MODIFIED", p);
  }

  /** Removes the pod at once (the pod was moved away, or force-deleted). */
  remove(namespace: string, name: string): void {
    const p = this.pods.get(`${namespace}/${name}`);
    if (!p) return;
    this.pods.delete(key(p));
    this.bump(p);
    this.emit("DELETED", p);
  }

  async updateStatus(pod: Pod): Promise<void> {
    const cur = this.pods.get(key(pod));
    if (!cur || cur.metadata?.uid !== pod.metadata?.uid || !pod.status) return;
    cur.status = PodStatus.fromPartial(pod.status);
    this.statusWrites.push({ pod: key(pod), status: PodStatus.fromPartial(pod.status) });
    this.bump(cur);
    this.emit("MODIFIED", cur);
  }

  async deleteNow(namespace: string, name: string, uid: string): Promise<void> {
    const cur = this.pods.get(`${namespace}/${name}`);
    if (cur?.metadata?.uid === uid) this.remove(namespace, name);
  }

  event(pod: Pod, type: EventType, reason: string, message: string): void {
    this.events.push({ pod: key(pod), type, reason, message, at: Date.now() });
  }

  eventsFor(pod: string, reason?: string): RecordedEvent[] {
    return this.events.filter((e) => e.pod === pod && (reason === undefined || e.reason === reason));
  }
}

function key(p: Pod): string {
  return `${p.metadata?.namespace || "default"}/${p.metadata?.name}`;
}

function clone(p: Pod): Pod {
  return structuredClone(p);
}
