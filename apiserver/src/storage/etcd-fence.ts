// The write fence (ARCHITECTURE.md, "Fenced writes"). A write whose deadline passed has an unknown
// outcome: its bytes may still sit in a connection to a member cut off from the others and reach it
// after the link heals, long after the client was answered, retried, and maybe deleted what it wrote.
// Every write this server sends also compares the mod revision of a key of its own, the fence; before
// a write with an unknown outcome is answered, the fence is bumped (a put that commits), so the late
// delivery's compare fails and it changes nothing. While a bump is owed no write is sent. A bump is
// itself a compare-and-put on the fence (from the revision last seen), so copies of it sent to several
// members, or delivered late, commit at most once: a copy that loses reads the winner's revision.
import { randomUUID } from "node:crypto";
import { UnavailableError } from "@mk/proto/client";

/** Where fences live: outside every kind's prefix, one key per API server process. */
export const FENCE_PREFIX = "/registry/\0fence/";

export class WriteFence {
  readonly key = `${FENCE_PREFIX}${randomUUID()}`;
  /** The fence's mod revision writes compare against; undefined while a bump is owed. */
  private rev: string | undefined;
  /** The fence's mod revision as last seen ("0": absent), which a bump compares against. */
  private known = "0";
  private bumping: Promise<void> | undefined;
  private closed = false;

  constructor(
    /**
     * Puts the fence key if its mod revision is still `expected` ("0": absent), through whichever
     * member answers; resolves with its mod revision afterwards, written by this put or another.
     */
    private readonly put: (key: string, expected: string) => Promise<string>,
    private readonly onBumpError: (err: unknown) => void = () => {},
  ) {}

  /** The revision to compare a write against: waits for an owed bump (the first one too) until `deadline`. */
  async current(deadline: number): Promise<string> {
    for (;;) {
      if (this.rev !== undefined) return this.rev;
      await this.settled(deadline);
    }
  }

  /**
   * A write compared against `rev` found the fence moved (its else branch read `seen`, "0" when the
   * key is gone, its lease expired): if nothing newer is known, a bump is owed before the next write.
   */
  moved(rev: string, seen: string): void {
    if (this.rev !== rev || seen === rev) return;
    this.rev = undefined;
    this.known = seen;
  }

  /**
   * A write compared against `rev` may or may not have been applied: returns once the fence has moved
   * past `rev` (a bump committed), so it never will be after this. Throws UnavailableError when no
   * bump committed by `deadline` (later writes still wait for it).
   */
  async unknown(rev: string, deadline: number): Promise<void> {
    if (this.rev === rev) {
      this.rev = undefined;
      this.known = rev;
    }
    await this.current(deadline);
  }

  close(): void {
    this.closed = true;
  }

  /** Waits for the owed bump, starting it if nobody has. */
  private async settled(deadline: number): Promise<void> {
    this.bumping ??= this.bump().finally(() => {
      this.bumping = undefined;
    });
    const left = deadline - Date.now();
    if (left <= 0) throw this.unavailable();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.unavailable()), left);
    });
    try {
      await Promise.race([this.bumping, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Puts the fence key until one put commits; callers wait with their own deadlines. */
  private async bump(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        // The revision after the put; "0" when the key is gone (its lease expired): put it afresh.
        const rev = await this.put(this.key, this.known);
        this.known = rev;
        if (rev === "0") continue;
        this.rev = rev;
        return;
      } catch (err) {
        this.onBumpError(err);
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2_000)).unref());
      }
    }
    throw new UnavailableError("etcd storage is closed");
  }

  private unavailable(): UnavailableError {
    return new UnavailableError(
      "etcd is unavailable: a write whose outcome is unknown must be fenced off before the next one is sent, and the fence could not be written yet",
    );
  }
}
