// A TCP proxy on loopback for HTTP/2 (gRPC) that can hold what clients send: while held, frames are
// kept, as a kernel keeps retransmitting segments over a pulled cable, and delivered on release —
// the cancellations (RST_STREAM) of calls that gave up meanwhile a little after the rest, as later
// segments of a retransmitted stream arrive after the first. Answers flow back untouched. Used to
// make a write reach etcd after its client gave up on it.
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

export interface HoldProxy {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  hold(): void;
  /** Delivers what was held, in order, cancellations `cancelDelayMs` later, and stops holding. */
  release(cancelDelayMs?: number): void;
  /** Bytes held now (all connections). */
  heldBytes(): number;
  close(): Promise<void>;
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const FRAME_HEADER = 9;
const RST_STREAM = 0x3;

interface Pipe {
  client: Socket;
  upstream: Socket;
  /** Bytes not yet split into frames. */
  pending: Buffer;
  prefaceSeen: boolean;
  held: Buffer[];
}

/** Splits what the client sent so far into whole HTTP/2 frames (the connection preface first). */
function frames(p: Pipe, chunk: Buffer): Buffer[] {
  p.pending = Buffer.concat([p.pending, chunk]);
  const out: Buffer[] = [];
  if (!p.prefaceSeen) {
    if (p.pending.length < PREFACE.length) return out;
    out.push(p.pending.subarray(0, PREFACE.length));
    p.pending = p.pending.subarray(PREFACE.length);
    p.prefaceSeen = true;
  }
  while (p.pending.length >= FRAME_HEADER) {
    const size = FRAME_HEADER + p.pending.readUIntBE(0, 3);
    if (p.pending.length < size) break;
    out.push(p.pending.subarray(0, size));
    p.pending = p.pending.subarray(size);
  }
  return out;
}

const isCancel = (frame: Buffer) => frame.length >= FRAME_HEADER && frame[3] === RST_STREAM;

export async function startHoldProxy(target: { host: string; port: number }): Promise<HoldProxy> {
  let holding = false;
  const pipes = new Set<Pipe>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(target.port, target.host);
    const pipe: Pipe = { client, upstream, pending: Buffer.alloc(0), prefaceSeen: false, held: [] };
    pipes.add(pipe);
    client.on("data", (chunk: Buffer) => {
      for (const f of frames(pipe, chunk)) {
        if (holding) pipe.held.push(f);
        else upstream.write(f);
      }
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    const end = () => {
      pipes.delete(pipe);
      client.destroy();
      upstream.destroy();
    };
    // A client that gives up while held does not close upstream: its held frames still arrive.
    client.on("close", () => {
      if (pipe.held.length === 0) end();
    });
    client.on("error", () => {});
    upstream.on("close", end);
    upstream.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    hold: () => {
      holding = true;
    },
    release: (cancelDelayMs = 500) => {
      holding = false;
      for (const p of pipes) {
        const held = p.held.splice(0);
        for (const f of held) if (!isCancel(f)) p.upstream.write(f);
        const cancels = held.filter(isCancel);
        setTimeout(() => {
          for (const f of cancels) if (!p.upstream.destroyed) p.upstream.write(f);
          if (p.client.destroyed) p.upstream.end();
        }, cancelDelayMs).unref();
      }
    },
    heldBytes: () => [...pipes].reduce((n, p) => n + p.held.reduce((m, c) => m + c.length, 0), 0),
    close: async () => {
      for (const p of pipes) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
