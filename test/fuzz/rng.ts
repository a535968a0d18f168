// A seeded random source (mulberry32): the same seed gives the same 10 000 requests, so a failure
// found by a long run reproduces with `FUZZ_SEED=<seed>`.
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(items.length)] as T;
  }
}

/** The seed of a run: FUZZ_SEED when set, else one drawn now (and printed by the caller). */
export function seedFromEnv(): number {
  const env = process.env.FUZZ_SEED;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got "${env}"`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32);
}
