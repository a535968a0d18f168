// Storage of API objects in etcd: with its helpers in storage/, the only code that imports etcd3.
// Values are the protobuf encoding of the kind's message; an object's resourceVersion is its key's
// mod revision. Creates are "put if absent" and updates "put if the mod revision is still the one
// read", both in one transaction, so two writers can never both win.
//
// Hardened for several members (ARCHITECTURE.md, "The etcd client"): every unary call carries a
// deadline and etcd's `hasleader` metadata (a member cut off from the quorum refuses at once, and
// the refusal, never applied, is tried again on another member); watches are mk's own
// (etcd-watch.ts), moved to another member when theirs loses its leader or goes silent; a write
// whose event lease has vanished gets a new lease. The members used follow etcd's own member list
// (etcd-sync.ts): the configured endpoints are only the seed.
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  ExpiredError,
  InternalError,
  NotFoundError,
  TimeoutError,
  UnavailableError,
} from "@mk/proto/client";
import { type KindName, type KindTypes, KINDS, metaOf } from "@mk/proto";
import type { ComparatorBuilder, Etcd3, IKeyValue, ITxnResponse } from "etcd3";
import { UnaryClients } from "./etcd-clients.js";
import { WriteFence } from "./etcd-fence.js";
import type { MemberProbe } from "./etcd-members.js";
import { MemberSync, normalizeEndpoint } from "./etcd-sync.js";
import { MovingWatch, type RawEvent, type WatchMove, WatchMembers } from "./etcd-watch.js";
import { kindPrefix, objectKey, resourceName } from "./keys.js";

export type { RawEvent, WatchMove } from "./etcd-watch.js";

export interface EtcdTls {
  /** PEM of the CA that signed etcd's certificate. */
  ca: Buffer;
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
}

export interface EtcdStorageOptions {
  /** http(s)://host:port of each member. */
  endpoints: string[];
  tls?: EtcdTls | undefined;
  /** Deadline of each etcd call (ms); default 10 s. */
  timeoutMs?: number;
  /** Called with each etcd call's duration, for the latency histogram. */
  observe?: (op: string, seconds: number) => void;
  /** A watch silent this long despite a progress request moves to another member; default 5 s. */
  watchSilenceMs?: number;
  /** Each move of a watch to another member (for the log). */
  onWatchMove?: (move: WatchMove) => void;
  /** A member that calls stop or start being sent to (etcd-members.ts), for the log. */
  onMemberHeld?: (endpoint: string, held: boolean, why: string) => void;
  /** A failed attempt to write the fence (etcd-fence.ts), for the log. */
  onFenceError?: (err: unknown) => void;
  /**
   * How often etcd's member list is read and, when its started voters' client URLs differ from the
   * endpoints in use, switched to (etcd-sync.ts); default 30 s; 0: never (the endpoints stay).
   */
  memberSyncMs?: number;
  /** Each switch to another list of members, for the log. */
  onMembersChanged?: (from: string[], to: string[]) => void;
  /** A member list that could not be read, for the log. */
  onMemberSyncError?: (err: unknown) => void;
}

export interface ListPage<K extends KindName> {
  items: KindTypes[K][];
  /** The store's revision the list was read at. */
  revision: string;
  continue: string;
}

export interface RawWatchHandlers {
  /** A batch of changes; `revision` is etcd's progress: every change up to it has been delivered. */
  onEvents(events: RawEvent[], revision: string): void;
  /** The watch ended: ExpiredError when its start revision was compacted away. */
  onError(err: Error): void;
}

export interface RawWatch {
  cancel(): Promise<void>;
}

/**
 * Refusals etcd makes before it looks at a request (its gRPC interceptors): the request was not
 * applied, so sending it again, to another member, is safe even for a write.
 */
export function isRefusedUnapplied(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /etcdserver: no leader|rpc not supported for learner/.test(msg);
}

/**
 * A failed write that certainly changed nothing: it never left (no connection, the member's breaker
 * open), a member refused it before looking at it, or etcd refused the lease it named. After any
 * other failure (a deadline, a reset connection) the write may still be applied: the fence is bumped.
 */
function neverApplied(err: Error): boolean {
  return /No connection established|connect ECONNREFUSED|circuit breaker is open|etcdserver: no leader|rpc not supported for learner|requested lease not found|storage is closed/.test(
    err.message,
  );
}

/** A fenced write's parts, as etcd names them (etcd3's builders, made afresh for each attempt). */
interface WriteTxn {
  /** The write's own compare, as given to etcd3's `if`. */
  compare: Parameters<Etcd3["if"]>;
  /** What it does when its compare and the fence's hold. */
  success: Parameters<ComparatorBuilder["then"]>;
  /** Reads returned when a compare fails; the fence's read is added after them. */
  failure?: Parameters<ComparatorBuilder["else"]>;
}

/** A write whose fence keeps moving under it this many times in a row gives up (never seen: bumps are rare). */
const FENCE_ATTEMPTS = 10;

/** etcd lost the lease a write named (revoked, or expired while we were cut off). */
function isLeaseNotFound(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /requested lease not found/.test(msg);
}

interface ContinueToken {
  rev: string;
  start: string;
}

/** etcd3 errors to API errors: the rest of the server sees only typed errors. */
export function mapEtcdError(err: unknown): Error {
  if (err instanceof ConflictError || err instanceof NotFoundError || err instanceof ExpiredError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (/required revision has been compacted/.test(msg)) {
    return new ExpiredError("The resourceVersion for the provided watch is too old.", { cause: err });
  }
  const name = err instanceof Error ? err.constructor.name : "";
  // BrokenCircuitError: etcd3's per-host circuit breaker, open for 5 s after 3 failures in a row,
  // rejects calls without trying them; etcd is as unavailable as in the failures that opened it.
  if (
    /Unavailable|ClientClosed|Cancelled|WatchStreamEnded|BrokenCircuit/.test(name) ||
    /UNAVAILABLE|No connection established|connect ECONNREFUSED|circuit breaker is open/.test(msg)
  ) {
    return new UnavailableError(`etcd is unavailable: ${msg}`, { cause: err });
  }
  if (/DeadlineExceeded/.test(name) || /DEADLINE_EXCEEDED|deadline/i.test(msg)) {
    return new TimeoutError(`etcd did not answer in time: ${msg}`, { cause: err });
  }
  return new InternalError(`etcd: ${msg}`, { cause: err });
}

export class EtcdStorage {
  /** The unary clients of the members in use; replaced when etcd's members change. */
  private clients: UnaryClients;
  private readonly clientOptions: ConstructorParameters<typeof UnaryClients>[1];
  private readonly timeoutMs: number;
  private readonly observe: (op: string, seconds: number) => void;
  private readonly leases = new LeasePool(this);
  private readonly watchMembers: WatchMembers;
  private readonly watches = new Set<MovingWatch>();
  private readonly fence: WriteFence;
  private readonly sync: MemberSync;
  private readonly onMembersChanged: (from: string[], to: string[]) => void;
  /** The lease the fence key is written under (putFence). */
  private fenceLease: Promise<string> | undefined;

  constructor(options: EtcdStorageOptions) {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const endpoints = options.endpoints.map(normalizeEndpoint);
    this.clientOptions = {
      timeoutMs,
      credentials: options.tls ? { rootCertificate: options.tls.ca, certChain: options.tls.cert, privateKey: options.tls.key } : undefined,
      onMemberHeld: options.onMemberHeld,
    };
    this.clients = new UnaryClients(endpoints, this.clientOptions);
    this.timeoutMs = timeoutMs;
    this.observe = options.observe ?? (() => {});
    this.fence = new WriteFence((key, expected) => this.putFence(key, expected), options.onFenceError);
    this.watchMembers = new WatchMembers({
      endpoints,
      tls: options.tls,
      createTimeoutMs: timeoutMs,
      silenceMs: options.watchSilenceMs,
      onMove: options.onWatchMove,
    });
    this.onMembersChanged = options.onMembersChanged ?? (() => {});
    this.sync = new MemberSync({
      everyMs: options.memberSyncMs ?? 30_000,
      list: async () => (await this.timed("members", () => this.client.cluster.memberList({ linearizable: true }, this.callOptions()))).members,
      current: () => this.endpoints(),
      apply: (next) => this.useEndpoints(next),
      onError: options.onMemberSyncError,
    });
    this.sync.start();
  }

  /** The etcd3 client of the members in use (read by each call as it is sent). */
  private get client(): Etcd3 {
    return this.clients.client;
  }

  private get probe(): MemberProbe | undefined {
    return this.clients.probe;
  }

  /** The members' client URLs in use now. */
  endpoints(): string[] {
    return [...this.clients.endpoints];
  }

  /**
   * Switches to another list of members: new unary calls go to a new etcd3 client (the old one closes
   * once its calls in flight have finished or passed their deadline), the probe follows it (and with
   * it the fence's bumps, sent to every member it knows), and new watches and moving ones pick from
   * the new list; live watches stay on their member until their own rules move them.
   */
  useEndpoints(endpoints: string[]): void {
    const next = endpoints.map(normalizeEndpoint);
    if (next.length === 0) throw new Error("etcd: no endpoints to use");
    const old = this.clients;
    this.clients = new UnaryClients(next, this.clientOptions);
    old.retire(this.timeoutMs + 1_000);
    this.watchMembers.setEndpoints(next);
    this.onMembersChanged([...old.endpoints], next);
  }

  /** Reads etcd's member list now and switches when it changed (the sync's round; tests). */
  async syncMembers(): Promise<boolean> {
    return await this.sync.sync();
  }

  /**
   * Runs one etcd call (fn makes it afresh each time). A refusal of a member without a leader is
   * tried again, on whichever member etcd3 picks (its breaker skips one that refused three times in
   * a row), until the call's deadline: an election in progress is waited for, not failed.
   */
  private async timed<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          // fn reads this.client as it sends: the set in use now, which stays open until it returns.
          return await this.clients.run(fn);
        } catch (err) {
          const left = this.timeoutMs - (performance.now() - start);
          if (!isRefusedUnapplied(err) || left <= 0) throw err;
          await new Promise((r) => setTimeout(r, Math.min(left, 50 * 2 ** Math.min(attempt, 4))));
        }
      }
    } catch (err) {
      throw mapEtcdError(err);
    } finally {
      this.observe(op, (performance.now() - start) / 1000);
    }
  }

  /**
   * Runs a write that may name an event lease; when etcd has lost that lease (revoked, expired
   * while this server was cut off), forgets it and writes again once with a new one.
   */
  private async withLease<T>(ttlSeconds: number | undefined, write: (lease: string | undefined) => Promise<T>): Promise<T> {
    const lease = ttlSeconds ? await this.leases.leaseFor(ttlSeconds) : undefined;
    try {
      return await write(lease);
    } catch (err) {
      if (!ttlSeconds || !lease || !isLeaseNotFound(err instanceof Error ? (err.cause ?? err) : err)) throw err;
      this.leases.forget(lease);
      return await write(await this.leases.leaseFor(ttlSeconds));
    }
  }

  private callOptions() {
    return { deadline: Date.now() + this.timeoutMs };
  }

  /**
   * One write transaction behind this server's fence (etcd-fence.ts): its compare and the fence's,
   * its `then` when both hold, else its reads and the fence's. Failed on the fence alone (a bump
   * since, or the fence's lease expired) it changed nothing and is sent again against the new fence;
   * failed with an unknown outcome, its error goes back only once a fence bump has committed.
   */
  private async fenced(op: string, build: () => WriteTxn): Promise<ITxnResponse> {
    for (let attempt = 1; ; attempt++) {
      const fence = await this.fence.current(Date.now() + this.timeoutMs);
      let reads = 0;
      const res = await this.timed(op, () => {
        const t = build();
        reads = t.failure?.length ?? 0;
        return this.client
          .if(...t.compare)
          .and(this.fence.key, "Mod", "==", fence)
          .then(...t.success)
          .else(...(t.failure ?? []), this.client.get(this.fence.key))
          .options(this.callOptions())
          .commit();
      }).catch(async (err: Error) => {
        if (!neverApplied(err)) await this.fence.unknown(fence, Date.now() + this.timeoutMs).catch(() => {});
        throw err;
      });
      if (res.succeeded) return res;
      const seen = res.responses[reads]?.response_range?.kvs?.[0]?.mod_revision ?? "0";
      if (seen === fence) return res;
      this.fence.moved(fence, seen);
      if (attempt >= FENCE_ATTEMPTS) throw new UnavailableError(`etcd is unavailable: the write fence moved ${attempt} times under one ${op}`);
    }
  }

  /**
   * Writes the fence key if its mod revision is still `expected` (a bump); answers its mod revision
   * after (this put's or the one that beat it; "0": absent). It must commit even while the member a
   * timed-out write went to is cut off, before etcd3's breakers know it: with several members it is
   * sent to all of them at once (the probe's own connections) and the first answer counts; being a
   * compare-and-put, only one copy commits. The key lives under a lease of 1 h, so an idle server's
   * fence expires; the next write then finds it gone and it is written again, with a new lease.
   */
  private async putFence(key: string, expected: string): Promise<string> {
    this.fenceLease ??= this.grantLease(3600);
    const lease = this.fenceLease;
    lease.catch(() => {
      if (this.fenceLease === lease) this.fenceLease = undefined;
    });
    const id = await lease;
    const put = (client: Etcd3) =>
      client.if(key, "Mod", "==", expected).then(client.put(key).value("").lease(id)).else(client.get(key)).options(this.callOptions()).commit();
    try {
      const res = await this.timed("fence", () => (this.probe ? this.probe.first(put) : put(this.client)));
      return res.succeeded ? res.header.revision : (res.responses[0]?.response_range?.kvs?.[0]?.mod_revision ?? "0");
    } catch (err) {
      const errors = err instanceof Error && err.cause instanceof AggregateError ? err.cause.errors : [err instanceof Error ? (err.cause ?? err) : err];
      if (errors.some(isLeaseNotFound) && this.fenceLease === lease) this.fenceLease = undefined;
      throw err;
    }
  }


  /** Decodes a stored value and sets its resourceVersion. */
  decode<K extends KindName>(kind: K, value: Buffer | Uint8Array, modRevision: string): KindTypes[K] {
    const obj = KINDS[kind].codec.decode(value);
    metaOf(obj).resourceVersion = modRevision;
    return obj;
  }

  /** Encodes without the resourceVersion, which is the key's revision and never stored. */
  encode<K extends KindName>(kind: K, obj: KindTypes[K]): Buffer {
    const meta = metaOf(obj);
    const rv = meta.resourceVersion;
    meta.resourceVersion = "";
    try {
      return Buffer.from(KINDS[kind].codec.encode(obj).finish());
    } finally {
      meta.resourceVersion = rv;
    }
  }

  private conflict(kind: KindName, name: string): ConflictError {
    return new ConflictError(
      `Operation cannot be fulfilled on ${resourceName(kind)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
  }

  private notFound(kind: KindName, name: string): NotFoundError {
    return new NotFoundError(`${resourceName(kind)} "${name}" not found`);
  }

  async get<K extends KindName>(kind: K, namespace: string, name: string): Promise<KindTypes[K] | undefined> {
    const key = objectKey(kind, namespace, name);
    const res = await this.timed("get", () => this.client.get(key).options(this.callOptions()).exec());
    const kv = res.kvs[0];
    return kv ? this.decode(kind, kv.value, kv.mod_revision) : undefined;
  }

  /**
   * Writes a new object; AlreadyExists when the key is taken by another object. A key holding this
   * very object (same uid: a transaction re-sent after its answer was lost) counts as written.
   * Returns it with its resourceVersion.
   */
  async create<K extends KindName>(kind: K, obj: KindTypes[K], opts: { ttlSeconds?: number } = {}): Promise<KindTypes[K]> {
    const meta = metaOf(obj);
    const key = objectKey(kind, meta.namespace, meta.name);
    const value = this.encode(kind, obj);
    const res = await this.withLease(opts.ttlSeconds, (lease) =>
      this.fenced("create", () => {
        const put = this.client.put(key).value(value);
        if (lease) put.lease(lease);
        return { compare: [key, "Mod", "==", 0], success: [put], failure: [this.client.get(key)] };
      }),
    );
    if (!res.succeeded) {
      const current = res.responses[0]?.response_range?.kvs?.[0];
      const mine = current && meta.uid ? this.decode(kind, current.value, current.mod_revision) : undefined;
      if (mine && metaOf(mine).uid === meta.uid) return mine;
      throw new AlreadyExistsError(`${resourceName(kind)} "${meta.name}" already exists`);
    }
    meta.resourceVersion = res.header.revision;
    return obj;
  }

  /**
   * Replaces the object when its key's mod revision is still `expectedRevision`; ConflictError when
   * it changed, NotFoundError when it is gone. Returns the object with its new resourceVersion.
   */
  async update<K extends KindName>(kind: K, obj: KindTypes[K], expectedRevision: string, opts: { ttlSeconds?: number } = {}): Promise<KindTypes[K]> {
    const meta = metaOf(obj);
    const key = objectKey(kind, meta.namespace, meta.name);
    const value = this.encode(kind, obj);
    const res = await this.withLease(opts.ttlSeconds, (lease) =>
      this.fenced("update", () => {
        const put = this.client.put(key).value(value);
        if (lease) put.lease(lease);
        return { compare: [key, "Mod", "==", expectedRevision], success: [put], failure: [this.client.get(key)] };
      }),
    );
    if (!res.succeeded) {
      const current = res.responses[0]?.response_range?.kvs?.[0];
      throw current ? this.conflict(kind, meta.name) : this.notFound(kind, meta.name);
    }
    meta.resourceVersion = res.header.revision;
    return obj;
  }

  /** Deletes the key when its mod revision is still `expectedRevision`; returns the new store revision. */
  async remove(kind: KindName, namespace: string, name: string, expectedRevision: string): Promise<string> {
    const key = objectKey(kind, namespace, name);
    const res = await this.fenced("delete", () => ({
      compare: [key, "Mod", "==", expectedRevision],
      success: [this.client.delete().key(key)],
      failure: [this.client.get(key)],
    }));
    if (!res.succeeded) {
      const current = res.responses[0]?.response_range?.kvs?.[0];
      throw current ? this.conflict(kind, name) : this.notFound(kind, name);
    }
    return res.header.revision;
  }

  /**
   * One page of a kind's objects (in one namespace, or all), in key order. A continue token pins
   * the revision of the first page, so the pages together are one consistent snapshot.
   */
  async list<K extends KindName>(kind: K, namespace: string, opts: { limit?: number; continue?: string } = {}): Promise<ListPage<K>> {
    const prefix = kindPrefix(kind, namespace);
    const end = prefixEnd(prefix);
    let start = prefix;
    let rev: string | undefined;
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      if (!token.start.startsWith(prefix)) throw new BadRequestError("continue token does not belong to this list");
      start = token.start;
      rev = token.rev;
    }
    const res = await this.timed("list", () => {
      const b = this.client.getAll().inRange({ start, end }).options(this.callOptions());
      if (opts.limit && opts.limit > 0) b.limit(opts.limit);
      if (rev) b.revision(rev);
      return b.exec();
    }).catch((err: unknown) => {
      if (err instanceof ExpiredError && rev) {
        throw new ExpiredError("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
      }
      throw err;
    });
    const revision = rev ?? res.header.revision;
    const items = res.kvs.map((kv: IKeyValue) => this.decode(kind, kv.value, kv.mod_revision));
    const last = res.kvs[res.kvs.length - 1];
    const cont = res.more && last ? encodeContinue({ rev: revision, start: `${last.key.toString()}\0` }) : "";
    return { items, revision, continue: cont };
  }

  /**
   * A key outside the objects' tree (an allocator's bitmap): its value and mod revision ("0" when
   * absent), for a compare-and-swap with putIfUnchanged.
   */
  async readRaw(key: string): Promise<{ value: Buffer | undefined; modRevision: string }> {
    const res = await this.timed("get", () => this.client.get(key).options(this.callOptions()).exec());
    const kv = res.kvs[0];
    return kv ? { value: kv.value, modRevision: kv.mod_revision } : { value: undefined, modRevision: "0" };
  }

  /** Writes `value` when the key's mod revision is still `expectedRevision` ("0": still absent); false when it changed. */
  async putIfUnchanged(key: string, value: Buffer, expectedRevision: string): Promise<boolean> {
    const res = await this.fenced("cas", () => ({ compare: [key, "Mod", "==", expectedRevision], success: [this.client.put(key).value(value)] }));
    return res.succeeded;
  }

  /** The store's current revision. */
  async currentRevision(): Promise<string> {
    const res = await this.timed("revision", () => this.client.get("/registry/\0revision").options(this.callOptions()).exec());
    return res.header.revision;
  }

  /** Throws ExpiredError when `revision` has been compacted away (a cheap read at that revision). */
  async assertNotCompacted(revision: string): Promise<void> {
    await this.timed("revision", () => this.client.get("/registry/\0revision").revision(revision).options(this.callOptions()).exec());
  }

  /**
   * Watches keys under `prefix` from `fromRevision` (inclusive), with each change's previous value.
   * The watch moves between members by itself (etcd-watch.ts); it ends with an error only when etcd
   * cancels it for good: ExpiredError when its start revision was compacted away.
   */
  watch(prefix: string, fromRevision: string, handlers: RawWatchHandlers): RawWatch {
    const key = Buffer.from(prefix);
    const w = new MovingWatch(
      this.watchMembers,
      { key, rangeEnd: Buffer.from(prefixEnd(prefix)), startRevision: fromRevision },
      {
        onEvents: (events, revision) => handlers.onEvents(events, revision),
        onCancel: (reason, compactRevision) => {
          this.watches.delete(w);
          handlers.onError(
            compactRevision !== "0" || /compacted/.test(reason)
              ? new ExpiredError("The resourceVersion for the provided watch is too old.")
              : new InternalError(`etcd cancelled the watch: ${reason || "no reason given"}`),
          );
        },
      },
    );
    this.watches.add(w);
    return {
      cancel: async () => {
        this.watches.delete(w);
        w.cancel();
      },
    };
  }

  /** The members unary calls are kept away from now (diagnostics and tests). */
  heldMembers(): string[] {
    return this.probe?.heldEndpoints() ?? [];
  }

  /** The member each live watch is on now (diagnostics and tests). */
  watchEndpoints(): string[] {
    return [...this.watches].map((w) => w.endpoint);
  }

  /**
   * kube-apiserver's compaction handshake: writes `revision` into `key` when the key's version is
   * still `expectedVersion` (0: absent). Either way, answers the key's version now and etcd's
   * current revision, so a loser learns what the winner wrote.
   */
  async claimCompaction(key: string, expectedVersion: number, revision: string): Promise<{ claimed: boolean; version: number; revision: string }> {
    const res = await this.timed("cas", () =>
      this.client
        .if(key, "Version", "==", expectedVersion)
        .then(this.client.put(key).value(revision))
        .else(this.client.get(key))
        .options(this.callOptions())
        .commit(),
    );
    if (res.succeeded) return { claimed: true, version: expectedVersion + 1, revision: res.header.revision };
    const kv = res.responses[0]?.response_range?.kvs?.[0];
    return { claimed: false, version: kv ? Number(kv.version) : 0, revision: res.header.revision };
  }

  /** Compacts etcd's history up to `revision` (physical: waits until it is applied). */
  async compact(revision: string): Promise<void> {
    await this.timed("compact", () => this.client.kv.compact({ revision, physical: true }, this.callOptions()));
  }

  /** etcd's server version, from the first member that answers. */
  async version(): Promise<string> {
    const res = await this.timed("status", () => this.client.maintenance.status(this.callOptions()));
    return res.version;
  }

  /** Grants a lease of `ttlSeconds` (used by the lease pool). */
  async grantLease(ttlSeconds: number): Promise<string> {
    const res = await this.timed("lease", () => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds }, this.callOptions()));
    return res.ID;
  }

  /** The lease id and remaining TTL of a stored object (tests and housekeeping). */
  async leaseOf(kind: KindName, namespace: string, name: string): Promise<{ lease: string; ttl: number } | undefined> {
    const res = await this.timed("get", () => this.client.get(objectKey(kind, namespace, name)).options(this.callOptions()).exec());
    const kv = res.kvs[0];
    if (!kv || kv.lease === "0") return undefined;
    const ttl = await this.timed("lease", () => this.client.leaseClient.leaseTimeToLive({ ID: kv.lease }, this.callOptions()));
    return { lease: kv.lease, ttl: Number(ttl.TTL) };
  }

  /** Revokes a lease (tests: a write then finds its event lease gone). */
  async revokeLease(id: string): Promise<void> {
    await this.timed("lease", () => this.client.leaseClient.leaseRevoke({ ID: id }, this.callOptions()));
  }

  /**
   * Puts a key outside the objects' tree under a new lease of `ttlSeconds`, so that it goes when
   * the lease expires (a liveness record, registry/endpoint-leases.ts); answers the lease's id.
   */
  async putLeased(key: string, value: Buffer, ttlSeconds: number): Promise<string> {
    const lease = await this.grantLease(ttlSeconds);
    await this.timed("put", () => this.client.put(key).value(value).lease(lease).options(this.callOptions()).exec());
    return lease;
  }

  /** The keys and values under `prefix`, a part of the tree that holds no objects. */
  async listRaw(prefix: string): Promise<{ key: string; value: Buffer }[]> {
    const res = await this.timed("list", () => this.client.getAll().prefix(prefix).options(this.callOptions()).exec());
    return res.kvs.map((kv: IKeyValue) => ({ key: kv.key.toString(), value: kv.value }));
  }

  /** Deletes a key outside the objects' tree (no-op when absent). */
  async deleteRaw(key: string): Promise<void> {
    await this.timed("delete", () => this.client.delete().key(key).options(this.callOptions()).exec());
  }

  close(): void {
    this.sync.stop();
    for (const w of this.watches) w.cancel();
    this.watches.clear();
    this.watchMembers.close();
    this.fence.close();
    this.clients.close();
  }
}

/**
 * Leases for objects that expire (Events). Granting one lease per event would cost a round trip
 * each and fill etcd with leases, so, as kube-apiserver does, a lease is reused for writes within
 * 5% of the TTL: with a 1 h TTL, one lease of 1 h 3 min serves every event of 3 minutes, each of
 * which then lives between 1 h and 1 h 3 min.
 */
class LeasePool {
  private current: { id: string; ttl: number; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;
  constructor(private readonly storage: EtcdStorage) {}

  /** etcd no longer has this lease: the next write gets a new one. */
  forget(id: string): void {
    if (this.current?.id === id) this.current = undefined;
  }

  async leaseFor(ttlSeconds: number): Promise<string> {
    const now = Date.now();
    const cur = this.current;
    if (cur && cur.ttl === ttlSeconds && now + ttlSeconds * 1000 <= cur.expiresAt) return cur.id;
    if (this.pending) return await this.pending;
    const reuse = Math.min(3600, Math.max(1, Math.floor(ttlSeconds * 0.05)));
    this.pending = this.storage.grantLease(ttlSeconds + reuse).then(
      (id) => {
        this.current = { id, ttl: ttlSeconds, expiresAt: now + (ttlSeconds + reuse) * 1000 };
        this.pending = undefined;
        return id;
      },
      (err: unknown) => {
        this.pending = undefined;
        throw err;
      },
    );
    return await this.pending;
  }
}

/** The first key after every key with this prefix. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify(t)).toString("base64url");
}

function decodeContinue(s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, "base64url").toString()) as Partial<ContinueToken>;
    if (typeof t.rev === "string" && typeof t.start === "string" && /^\d+$/.test(t.rev)) return { rev: t.rev, start: t.start };
  } catch {
    // falls through to the error below
  }
  throw new ExpiredError("continue key is not valid: start a new list without the continue parameter");
}
