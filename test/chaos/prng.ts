// A seeded PRNG (mulberry32): a chaos run is its seed, printed at the start, and CHAOS_SEED
// replays it (the same choices in the same order; timing on a loaded machine still varies).

export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
}

export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    seed: seed >>> 0,
    next,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[int(0, items.length - 1)] as T;
    },
  };
}

/** CHAOS_SEED if set (a decimal number), else a fresh one. */
export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const s = env.CHAOS_SEED;
  if (s === undefined || s === "") return Math.floor(Math.random() * 2 ** 32);
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) throw new Error(`CHAOS_SEED: want an integer in [0, 2^32), got ${JSON.stringify(s)}`);
  return n;
}
