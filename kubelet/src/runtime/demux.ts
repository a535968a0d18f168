// Docker's multiplexed stream format (no TTY): frames of an 8-byte header — stream type (1 stdout,
// 2 stderr), three zero bytes, a big-endian uint32 length — then that many bytes. Non-follow logs
// come back as one Buffer of frames, follow logs and exec output as a stream of arbitrary chunks.
import type { OutputFrame } from "./runtime.js";

export class Demuxer {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds a chunk; returns the whole frames it completes. */
  push(chunk: Buffer): OutputFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: OutputFrame[] = [];
    while (this.pending.length >= 8) {
      const type = this.pending.readUInt8(0);
      const len = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + len) break;
      const data = this.pending.subarray(8, 8 + len);
      this.pending = this.pending.subarray(8 + len);
      // stdin (0) never appears in output; anything else would be a TTY stream, not demuxed here.
      out.push({ stream: type === 2 ? "stderr" : "stdout", data: Buffer.from(data) });
    }
    return out;
  }

  /** Bytes of an unfinished frame left at the end. */
  get leftover(): number {
    return this.pending.length;
  }
}

export function demuxBuffer(buf: Buffer): OutputFrame[] {
  return new Demuxer().push(buf);
}

/** Frames from a multiplexed stream, as they complete. */
export async function* demuxStream(stream: AsyncIterable<Buffer | string>): AsyncGenerator<OutputFrame> {
  const d = new Demuxer();
  for await (const chunk of stream) {
    for (const f of d.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)) yield f;
  }
}

/** Splits a stream of text chunks into lines (the engine's JSON streams need line buffering). */
export async function* lines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream) {
    buf += chunk.toString();
    let i = buf.indexOf("\n");
    while (i >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) yield line;
      i = buf.indexOf("\n");
    }
  }
  if (buf.trim()) yield buf.trim();
}
