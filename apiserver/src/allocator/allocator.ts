// An allocator of the indexes of a range, shared by every API server through one etcd key: read the
// bitmap, change a bit, write it back only if nobody wrote in between (compare-and-swap on the key's
// mod revision), else read again. Two API servers can never hand out the same index.
import { ConflictError, InternalError } from "@mk/proto/client";
import type { EtcdStorage } from "../storage/etcd.js";
import { Bitmap } from "./bitmap.js";

/** Why an index could not be had: already held, or nothing left. */
export type AllocationFailure = "taken" | "full";

export class AllocationError extends Error {
  constructor(readonly reason: AllocationFailure) {
    super(reason === "full" ? "range is full" : "provided value is already allocated");
  }
}

/** What is stored at the key: the range the bits describe, and the bits. */
interface Stored {
  range: string;
  data: string;
}

/**
 * Enough for 100 creates racing on one key: each round of CAS has a winner, so the last of n
 * concurrent writers succeeds within n rounds.
 */
const MAX_ATTEMPTS = 200;

export class EtcdAllocator {
  constructor(
    private readonly storage: EtcdStorage,
    /** The etcd key, e.g. /registry/ranges/serviceips. */
    private readonly key: string,
    /** The range's text (`10.96.0.0/12`, `30000-32767`): a map of another range is not ours to change. */
    private readonly range: string,
    readonly size: number,
  ) {}

  /** Takes index `i`; AllocationError "taken" when it is held. */
  async allocate(i: number): Promise<void> {
    await this.change((map) => {
      if (map.has(i)) throw new AllocationError("taken");
      map.set(i);
      return i;
    });
  }

  /** Takes any free index; AllocationError "full" when none is left. */
  async allocateNext(): Promise<number> {
    const start = Math.floor(Math.random() * this.size);
    return await this.change((map) => {
      const i = map.firstFree(start);
      if (i === undefined) throw new AllocationError("full");
      map.set(i);
      return i;
    });
  }

  /** Gives index `i` back (nothing when it is free already). */
  async release(i: number): Promise<void> {
    await this.change((map) => {
      map.clear(i);
      return i;
    });
  }

  /** How many indexes are held (tests, metrics). */
  async used(): Promise<number> {
    const { map } = await this.read();
    return map.count();
  }

  private async read(): Promise<{ map: Bitmap; revision: string }> {
    const raw = await this.storage.readRaw(this.key);
    if (!raw.value) return { map: new Bitmap(this.size), revision: raw.modRevision };
    const stored = JSON.parse(raw.value.toString()) as Stored;
    if (stored.range !== this.range) {
      throw new InternalError(`the allocations at ${this.key} are for range ${stored.range}, not ${this.range}: the range flag may not change on a running cluster`);
    }
    return { map: new Bitmap(this.size, Buffer.from(stored.data, "base64")), revision: raw.modRevision };
  }

  private async change(mutate: (map: Bitmap) => number): Promise<number> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { map, revision } = await this.read();
      const before = map.bytes.toString("base64");
      const result = mutate(map);
      const data = map.bytes.toString("base64");
      if (data === before) return result;
      const value = Buffer.from(JSON.stringify({ range: this.range, data } satisfies Stored));
      if (await this.storage.putIfUnchanged(this.key, value, revision)) return result;
      // Lost the race: a short random pause spreads the next round of writers.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * attempt)));
    }
    throw new ConflictError(`too many concurrent changes to ${this.key}: try again`);
  }
}
