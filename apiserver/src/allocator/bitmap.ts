// A fixed-size set of small integers as bits: the state of one allocator, stored whole in etcd.

export class Bitmap {
  readonly bytes: Buffer;

  constructor(
    readonly size: number,
    bytes?: Buffer,
  ) {
    const length = Math.ceil(size / 8);
    this.bytes = Buffer.alloc(length);
    // A shorter stored map (a range that grew) reads as free past its end.
    bytes?.copy(this.bytes, 0, 0, Math.min(length, bytes.length));
  }

  has(i: number): boolean {
    return ((this.bytes[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }

  set(i: number): void {
    this.bytes[i >> 3] = (this.bytes[i >> 3] ?? 0) | (1 << (i & 7));
  }

  clear(i: number): void {
    this.bytes[i >> 3] = (this.bytes[i >> 3] ?? 0) & ~(1 << (i & 7));
  }

  count(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.has(i)) n++;
    return n;
  }

  /**
   * The first free index at or after `start`, wrapping around; undefined when full. A random start
   * (as Kubernetes' allocator does) keeps concurrent API servers from all racing for index 0.
   */
  firstFree(start: number): number | undefined {
    for (let k = 0; k < this.size; k++) {
      const i = (start + k) % this.size;
      if (!this.has(i)) return i;
    }
    return undefined;
  }
}
