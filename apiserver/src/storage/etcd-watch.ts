// mk's etcd watch: one gRPC stream per watch, over a thin client generated from etcd's Watch service
// (proto/etcd/watch.proto), that moves to another member when the one it is on stops serving it.
//
// - The stream carries etcd's `hasleader: true` metadata: a member that has no leader refuses to
//   create it ("etcdserver: no leader"), and one that loses its leader for three election timeouts
//   (cut off from the quorum: its own writes and events have stopped) cancels it. Either way the
//   watch moves to the next member.
// - A stream that says nothing for `silenceMs / 2` is sent a progress request (etcd >= 3.4 answers at
//   once); one silent for `silenceMs` despite it (a member frozen, or a path that drops packets) moves.
//   A creation not answered within `createTimeoutMs` moves too.
// - The watch resumes from the revision after the last event it delivered, never from a response
//   header (a member that lags, or etcd 3.4's answer to a progress request, may report a revision
//   whose events this watch has not seen), so a move neither loses nor repeats an event.
import { type ChannelCredentials, type ClientDuplexStream, credentials as grpcCredentials, Metadata } from "@grpc/grpc-js";
import { Event_EventType, type WatchRequest, type WatchResponse, WatchClient } from "./gen/etcd/watch.js";

/** One change seen by a watch; values are the encoded objects. */
export interface RawEvent {
  type: "put" | "delete";
  key: string;
  modRevision: string;
  value: Buffer | undefined;
  prevValue: Buffer | undefined;
}

export interface WatchStreamHandlers {
  /** A batch of changes; `revision` is etcd's progress: every change up to it has been delivered. */
  onEvents(events: RawEvent[], revision: string): void;
  /** A cancel from etcd that moving cannot cure (compaction: `compactRevision` > 0). */
  onCancel(reason: string, compactRevision: string): void;
}

export interface WatchMembersOptions {
  /** http(s)://host:port of each member. */
  endpoints: string[];
  tls?: { ca: Buffer; cert?: Buffer | undefined; key?: Buffer | undefined } | undefined;
  /** A creation not answered in this long moves to the next member; default 10 s. */
  createTimeoutMs?: number;
  /** A stream silent this long, despite a progress request at half of it, moves; default 5 s. */
  silenceMs?: number;
  /** Each move, for the log and tests. */
  onMove?: (move: WatchMove) => void;
}

export interface WatchMove {
  from: string;
  to: string;
  reason: string;
}

/**
 * The members' Watch clients, one channel each, and the choice of a member for a watch. The list
 * follows etcd's members (setEndpoints, from etcd-sync.ts): a watch on a member that left the list
 * stays there until its own rules move it, to a member of the new list; a channel is closed once its
 * member is off the list and no watch uses it.
 */
export class WatchMembers {
  private endpoints: string[];
  private readonly clients = new Map<string, { client: WatchClient; users: number }>();
  private readonly creds: ChannelCredentials;
  /** Where the rotation starts: random, so that several API servers' first watches spread too. */
  private rotation: number;
  readonly createTimeoutMs: number;
  readonly silenceMs: number;

  constructor(readonly options: WatchMembersOptions) {
    if (options.endpoints.length === 0) throw new Error("etcd: no endpoints to watch");
    this.endpoints = [...options.endpoints];
    this.rotation = Math.floor(Math.random() * options.endpoints.length);
    this.creds = options.tls
      ? grpcCredentials.createSsl(options.tls.ca, options.tls.key ?? null, options.tls.cert ?? null)
      : grpcCredentials.createInsecure();
    this.createTimeoutMs = options.createTimeoutMs ?? 10_000;
    this.silenceMs = options.silenceMs ?? 5_000;
  }

  get size(): number {
    return this.endpoints.length;
  }

  /** Replaces the members new watches and moves pick from; live watches stay where they are. */
  setEndpoints(endpoints: string[]): void {
    if (endpoints.length === 0) throw new Error("etcd: no endpoints to watch");
    this.endpoints = [...endpoints];
    for (const [endpoint, c] of this.clients) if (c.users === 0 && !this.endpoints.includes(endpoint)) this.drop(endpoint);
  }

  /** The member a new watch starts on: each in turn, so watches spread over the members. */
  firstMember(): string {
    const e = this.endpoints[this.rotation % this.size] ?? "";
    this.rotation++;
    return e;
  }

  /** The member after `endpoint` in the list; one no longer listed goes to the rotation's next. */
  nextMember(endpoint: string): string {
    const i = this.endpoints.indexOf(endpoint);
    return i < 0 ? this.firstMember() : (this.endpoints[(i + 1) % this.size] ?? "");
  }

  /** The member's Watch client, for one stream; `release` it when that stream ends. */
  acquire(endpoint: string): WatchClient {
    let c = this.clients.get(endpoint);
    if (!c) {
      const target = endpoint.replace(/^https?:\/\//, "");
      const client = new WatchClient(target, this.creds, {
        // A dead connection is noticed by the silence timer first; these only free the channel.
        "grpc.keepalive_time_ms": 10_000,
        "grpc.keepalive_timeout_ms": 5_000,
        "grpc.max_receive_message_length": 64 * 1024 * 1024,
      });
      c = { client, users: 0 };
      this.clients.set(endpoint, c);
    }
    c.users++;
    return c.client;
  }

  release(endpoint: string): void {
    const c = this.clients.get(endpoint);
    if (!c) return;
    c.users--;
    if (c.users <= 0 && !this.endpoints.includes(endpoint)) this.drop(endpoint);
  }

  /** Members with an open channel (tests: one off the list is closed once unused). */
  channels(): string[] {
    return [...this.clients.keys()];
  }

  private drop(endpoint: string): void {
    this.clients.get(endpoint)?.client.close();
    this.clients.delete(endpoint);
  }

  close(): void {
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }
}

export interface MovingWatchRequest {
  key: Buffer;
  rangeEnd: Buffer;
  /** First revision to deliver (inclusive). */
  startRevision: string;
}

/** A watch that moves between members; `cancel` ends it for good. */
export class MovingWatch {
  /** The member's endpoint this watch is on (or about to open on). */
  private member: string;
  /** The member whose channel the current stream holds (released when it ends). */
  private held: string | undefined;
  private next: bigint;
  private stream: ClientDuplexStream<WatchRequest, WatchResponse> | undefined;
  private watchId: string | undefined;
  private openedAt = 0;
  private lastHeard = 0;
  private progressAsked = 0;
  /** Moves since the last stream that was created: past one round of the members, back off. */
  private failedMoves = 0;
  private tick: NodeJS.Timeout | undefined;
  private reopen: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    private readonly members: WatchMembers,
    private readonly req: MovingWatchRequest,
    private readonly handlers: WatchStreamHandlers,
  ) {
    this.member = members.firstMember();
    this.next = BigInt(req.startRevision);
    const every = Math.max(100, Math.min(1_000, Math.floor(members.silenceMs / 4)));
    this.tick = setInterval(() => this.check(), every);
    this.tick.unref();
    this.open();
  }

  /** The member's endpoint this watch is on now. */
  get endpoint(): string {
    return this.member;
  }

  /** Gives back the channel of the member the last stream was on. */
  private releaseMember(): void {
    if (this.held !== undefined) this.members.release(this.held);
    this.held = undefined;
  }

  private open(): void {
    if (this.done) return;
    const md = new Metadata();
    md.set("hasleader", "true");
    this.releaseMember();
    this.held = this.member;
    const stream = this.members.acquire(this.member).watch(md);
    this.stream = stream;
    this.watchId = undefined;
    this.openedAt = Date.now();
    this.lastHeard = this.openedAt;
    this.progressAsked = 0;
    stream.on("data", (res: WatchResponse) => this.onResponse(stream, res));
    stream.on("error", (err: Error) => this.lost(stream, err.message));
    stream.on("end", () => this.lost(stream, "the member ended the stream"));
    stream.write({
      requestUnion: {
        $case: "createRequest",
        value: {
          key: this.req.key,
          rangeEnd: this.req.rangeEnd,
          startRevision: this.next.toString(),
          progressNotify: true,
          filters: [],
          prevKv: true,
          watchId: "0",
          fragment: false,
        },
      },
    });
  }

  private onResponse(stream: ClientDuplexStream<WatchRequest, WatchResponse>, res: WatchResponse): void {
    if (stream !== this.stream || this.done) return;
    this.lastHeard = Date.now();
    this.progressAsked = 0;
    if (res.canceled) {
      // A member cancels a watch for a compacted start revision (compactRevision set), or for a
      // reason moving may cure (a member that lost its leader in 3.5 cancels with a reason).
      if (res.compactRevision !== "0" || !/leader/i.test(res.cancelReason)) {
        this.finish();
        this.handlers.onCancel(res.cancelReason, res.compactRevision);
        return;
      }
      this.lost(stream, res.cancelReason);
      return;
    }
    if (res.created) {
      this.watchId = res.watchId;
      this.failedMoves = 0;
      return;
    }
    if (res.events.length > 0) {
      const events: RawEvent[] = [];
      for (const e of res.events) {
        if (!e.kv) continue;
        const del = e.type === Event_EventType.DELETE;
        events.push({
          type: del ? "delete" : "put",
          key: e.kv.key.toString(),
          modRevision: e.kv.modRevision,
          value: del ? undefined : e.kv.value,
          prevValue: e.prevKv ? e.prevKv.value : undefined,
        });
      }
      const last = events[events.length - 1];
      if (last) this.next = BigInt(last.modRevision) + 1n;
      this.handlers.onEvents(events, res.header?.revision ?? last?.modRevision ?? "0");
      return;
    }
    // A progress notification of this watch (etcd sends them for a watch that has caught up): every
    // change up to the header's revision has been delivered. The answer to a progress request
    // (watch id -1 in etcd 3.4) only shows the member is alive.
    const rev = res.header?.revision;
    if (rev && res.watchId === this.watchId && this.watchId !== undefined) {
      if (BigInt(rev) + 1n > this.next) this.next = BigInt(rev) + 1n;
      this.handlers.onEvents([], rev);
    }
  }

  private check(): void {
    const stream = this.stream;
    if (this.done || !stream) return;
    const now = Date.now();
    if (this.watchId === undefined) {
      if (now - this.openedAt > this.members.createTimeoutMs) {
        this.lost(stream, `no answer to the watch's creation in ${this.members.createTimeoutMs} ms`);
      }
      return;
    }
    const silent = now - this.lastHeard;
    if (silent > this.members.silenceMs) {
      this.lost(stream, `silent for ${silent} ms despite a progress request`);
    } else if (silent >= this.members.silenceMs / 2 && this.progressAsked === 0) {
      this.progressAsked = now;
      stream.write({ requestUnion: { $case: "progressRequest", value: {} } });
    }
  }

  /** The stream on the current member failed: move to the next member. */
  private lost(stream: ClientDuplexStream<WatchRequest, WatchResponse>, reason: string): void {
    if (stream !== this.stream || this.done) return;
    this.stream = undefined;
    this.watchId = undefined;
    stream.removeAllListeners("data");
    stream.on("error", () => {
      // the cancel below ends it with CANCELLED: nothing left to report
    });
    stream.cancel();
    const from = this.member;
    this.member = this.members.nextMember(from);
    this.failedMoves++;
    this.members.options.onMove?.({ from, to: this.member, reason });
    // A full round of members failing (no quorum anywhere, all down): back off up to 2 s.
    const round = this.failedMoves - this.members.size;
    const delay = round <= 0 ? 0 : Math.min(2_000, 100 * 2 ** Math.min(round, 5));
    this.reopen = setTimeout(() => this.open(), delay);
    this.reopen.unref();
  }

  private finish(): void {
    this.done = true;
    if (this.tick) clearInterval(this.tick);
    if (this.reopen) clearTimeout(this.reopen);
    const stream = this.stream;
    this.stream = undefined;
    if (stream) {
      stream.removeAllListeners("data");
      stream.on("error", () => {
        // cancelled by us
      });
      stream.cancel();
    }
    this.releaseMember();
  }

  cancel(): void {
    this.finish();
  }
}
