// Names outside the cluster zone go to the upstream resolvers (--dns-upstream), the query's bytes
// as received: over UDP for a UDP query, over TCP for a TCP one (so a truncated upstream answer
// makes the client retry over TCP, through us, as it would directly). Each upstream is tried in
// turn; none answering is SERVFAIL for the caller.
import { createSocket } from "node:dgram";
import { connect } from "node:net";

export interface Upstream {
  host: string;
  port: number;
}

/** "1.2.3.4" or "1.2.3.4:5353" → an upstream; throws naming the text when it is neither. */
export function parseUpstream(s: string): Upstream {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(s.trim());
  const port = m?.[2] === undefined ? 53 : Number(m[2]);
  if (!m?.[1] || !(port >= 1 && port <= 65535)) throw new Error(`invalid DNS upstream "${s}": want IP or IP:PORT`);
  return { host: m[1], port };
}

/** How long one upstream has to answer before the next is asked. */
const UPSTREAM_TIMEOUT_MS = 2_000;

function viaUdp(up: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    const done = (err: Error | undefined, reply?: Buffer) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else if (reply) resolve(reply);
    };
    const timer = setTimeout(() => done(new Error(`upstream ${up.host}:${up.port} did not answer in ${timeoutMs} ms`)), timeoutMs);
    sock.on("error", (err) => done(err));
    sock.on("message", (msg, rinfo) => {
      // Only the upstream's answer to this query (same id) counts.
      if (rinfo.address !== up.host || rinfo.port !== up.port || msg.length < 2 || msg.readUInt16BE(0) !== query.readUInt16BE(0)) return;
      done(undefined, msg);
    });
    sock.send(query, up.port, up.host, (err) => {
      if (err) done(err);
    });
  });
}

function viaTcp(up: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: up.host, port: up.port });
    let buf: Buffer = Buffer.alloc(0);
    const done = (err: Error | undefined, reply?: Buffer) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else if (reply) resolve(reply);
    };
    const timer = setTimeout(() => done(new Error(`upstream ${up.host}:${up.port} did not answer in ${timeoutMs} ms`)), timeoutMs);
    sock.on("error", (err) => done(err));
    sock.on("connect", () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(undefined, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    sock.on("end", () => done(new Error(`upstream ${up.host}:${up.port} closed the connection`)));
  });
}

export class Forwarder {
  constructor(
    readonly upstreams: Upstream[],
    private readonly timeoutMs = UPSTREAM_TIMEOUT_MS,
  ) {}

  /** The first upstream answer, or throws the last upstream's error. */
  async forward(query: Buffer, transport: "udp" | "tcp"): Promise<Buffer> {
    let last: unknown = new Error("no DNS upstream configured");
    for (const up of this.upstreams) {
      try {
        return transport === "udp" ? await viaUdp(up, query, this.timeoutMs) : await viaTcp(up, query, this.timeoutMs);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }
}
