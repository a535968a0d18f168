// The cluster DNS server every API server runs: UDP and TCP on one port, names in the cluster zone
// answered from the DnsCache (records.ts), PTR of cluster addresses likewise, everything else
// forwarded to the upstream resolvers. A UDP answer larger than the client takes (512 bytes, or its
// EDNS size) keeps the records that fit and sets TC, so the client asks again over TCP.
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server, type Socket as TcpSocket } from "node:net";
import * as packet from "dns-packet";
import type { Logger } from "pino";
import type { Forwarder } from "./forward.js";
import type { DnsMetrics } from "./metrics.js";
import type { ClusterZone, ZoneAnswer } from "./records.js";

type Transport = "udp" | "tcp";

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODE;
const OPCODE_QUERY = 0;
/** Without EDNS a UDP answer is at most 512 bytes (RFC 1035); with it, what the client advertises, up to this. */
const MAX_UDP = 4096;
const MIN_UDP = 512;
/** Our EDNS buffer size, advertised back (the DNS flag day 2020 figure). */
const EDNS_SIZE = 1232;
/** Question types counted by name in the metrics; the rest (any of 65536 numbers) count as "other". */
const METRIC_TYPES = new Set(["A", "AAAA", "SRV", "PTR", "TXT", "SOA", "NS", "CNAME", "MX", "ANY"]);
/** An idle TCP client is closed after this (RFC 7766 suggests seconds). */
const TCP_IDLE_MS = 10_000;

export interface DnsServerOptions {
  zone: ClusterZone;
  forwarder: Forwarder;
  metrics: DnsMetrics;
  log: Logger;
}

export interface Reply {
  bytes: Buffer;
  rcode: Rcode;
  qtype: string;
  source: "zone" | "forward" | "error";
}

function rcodeName(flags: number): Rcode {
  const n = flags & 0xf;
  return (Object.keys(RCODE) as Rcode[]).find((k) => RCODE[k] === n) ?? "SERVFAIL";
}

/** A header-only answer (FORMERR, NOTIMP, SERVFAIL) echoing the question when there is one. */
function bare(query: packet.DecodedPacket | undefined, id: number, rcode: Rcode, rd: boolean): Buffer {
  return packet.encode({
    type: "response",
    id,
    flags: (rd ? packet.RECURSION_DESIRED : 0) | packet.RECURSION_AVAILABLE | RCODE[rcode],
    questions: query?.questions?.slice(0, 1) ?? [],
  });
}

export class DnsHandler {
  constructor(private readonly o: DnsServerOptions) {}

  /** Answers one query's bytes; never throws (a broken query gets FORMERR, or nothing when it has no header). */
  async handle(raw: Buffer, transport: Transport): Promise<Reply | undefined> {
    if (raw.length < 12) return undefined;
    const id = raw.readUInt16BE(0);
    const flags = raw.readUInt16BE(2);
    if (flags & 0x8000) return undefined; // a response, not a query: never answer it
    const rd = (flags & packet.RECURSION_DESIRED) !== 0;
    let query: packet.DecodedPacket;
    try {
      query = packet.decode(raw);
    } catch {
      // Undecodable past the header: FORMERR, as RFC 1035 asks.
      return { bytes: bare(undefined, id, "FORMERR", rd), rcode: "FORMERR", qtype: "", source: "error" };
    }
    const q = query.questions?.[0];
    if (((flags >> 11) & 0xf) !== OPCODE_QUERY) return { bytes: bare(query, id, "NOTIMP", rd), rcode: "NOTIMP", qtype: q?.type ?? "", source: "error" };
    if (!q || (query.questions?.length ?? 0) !== 1) return { bytes: bare(query, id, "FORMERR", rd), rcode: "FORMERR", qtype: "", source: "error" };
    const opt = query.additionals?.find((r): r is packet.OptAnswer => r.type === "OPT");
    const zone = this.o.zone;
    let answer: ZoneAnswer | undefined;
    try {
      if (zone.contains(q.name)) answer = zone.answer(q.name, q.type);
      else if (q.type === "PTR") answer = zone.reverse(q.name);
    } catch (err) {
      // A bug in a record rule must not take the server down: this query fails, the next is answered.
      this.o.log.error({ name: q.name, type: q.type, err }, "dns answer failed");
      return { bytes: bare(query, id, "SERVFAIL", rd), rcode: "SERVFAIL", qtype: q.type, source: "error" };
    }
    if (!answer) {
      try {
        const bytes = await this.o.forwarder.forward(raw, transport);
        return { bytes, rcode: bytes.length >= 4 ? rcodeName(bytes.readUInt16BE(2)) : "SERVFAIL", qtype: q.type, source: "forward" };
      } catch (err) {
        this.o.log.debug({ name: q.name, type: q.type, err: err instanceof Error ? err.message : String(err) }, "dns forward failed");
        return { bytes: bare(query, id, "SERVFAIL", rd), rcode: "SERVFAIL", qtype: q.type, source: "error" };
      }
    }
    const limit = transport === "tcp" ? 65535 : Math.min(MAX_UDP, Math.max(MIN_UDP, opt?.udpPayloadSize ?? MIN_UDP));
    const bytes = encodeAnswer(query, id, rd, answer, opt !== undefined, limit);
    return { bytes, rcode: answer.rcode, qtype: q.type, source: "zone" };
  }
}

/** The zone's answer as bytes of at most `limit`: when too large, the records that fit, with TC set. */
export function encodeAnswer(query: packet.DecodedPacket, id: number, rd: boolean, z: ZoneAnswer, edns: boolean, limit: number): Buffer {
  const base = packet.AUTHORITATIVE_ANSWER | packet.RECURSION_AVAILABLE | (rd ? packet.RECURSION_DESIRED : 0) | RCODE[z.rcode];
  const opt: packet.Answer[] = edns ? [{ type: "OPT", name: ".", udpPayloadSize: EDNS_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [];
  const build = (answers: packet.Answer[], authorities: packet.Answer[], additionals: packet.Answer[], tc: boolean): packet.Packet => ({
    type: "response",
    id,
    flags: base | (tc ? packet.TRUNCATED_RESPONSE : 0),
    questions: query.questions?.slice(0, 1) ?? [],
    answers,
    authorities,
    additionals: [...additionals, ...opt],
  });
  const full = build(z.answers, z.authorities, z.additionals, false);
  if (packet.encodingLength(full) <= limit) return packet.encode(full);
  // Too large: drop the additional records, then keep the most answers that fit (binary search).
  let lo = 0;
  let hi = z.answers.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (packet.encodingLength(build(z.answers.slice(0, mid), [], [], true)) <= limit) lo = mid;
    else hi = mid - 1;
  }
  return packet.encode(build(z.answers.slice(0, lo), [], [], true));
}

export interface DnsListener {
  /** The port bound (UDP and TCP alike). */
  port: number;
  stop(): Promise<void>;
}

/** Serves the handler on host:port over UDP and TCP (port 0: one free port for both). */
export async function startDnsServer(host: string, port: number, handler: DnsHandler, o: { metrics: DnsMetrics; log: Logger }): Promise<DnsListener> {
  const observe = (r: Reply, transport: Transport, started: bigint) => {
    o.metrics.queries.inc({ type: METRIC_TYPES.has(r.qtype) ? r.qtype : r.qtype ? "other" : "none", rcode: r.rcode, transport, source: r.source });
    o.metrics.latency.observe({ transport, source: r.source }, Number(process.hrtime.bigint() - started) / 1e9);
  };
  const tcp: Server = createServer((sock) => serveTcp(sock, handler, observe, o.log));
  const tcpPort = await new Promise<number>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(port, host, () => {
      tcp.off("error", reject);
      const addr = tcp.address();
      resolve(typeof addr === "object" && addr ? addr.port : port);
    });
  });
  let udp: Socket;
  try {
    udp = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(tcpPort, host, () => {
        udp.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    tcp.close();
    throw err;
  }
  udp.on("error", (err) => o.log.warn({ err }, "dns udp socket error"));
  udp.on("message", (msg, rinfo) => {
    const started = process.hrtime.bigint();
    void handler.handle(msg, "udp").then((r) => {
      if (!r) return;
      udp.send(r.bytes, rinfo.port, rinfo.address, (err) => {
        if (err) o.log.debug({ err: err.message }, "dns udp reply not sent");
      });
      observe(r, "udp", started);
    });
  });
  const sockets = new Set<TcpSocket>();
  tcp.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  o.log.info({ address: `${host}:${tcpPort}` }, "dns serving");
  let stopping: Promise<void> | undefined;
  return {
    port: tcpPort,
    stop: () => {
      stopping ??= new Promise<void>((resolve) => {
        udp.close();
        for (const s of sockets) s.destroy();
        tcp.close(() => resolve());
      });
      return stopping;
    },
  };
}

/** Length-prefixed messages (RFC 1035 4.2.2), several per connection, answered in order of completion. */
function serveTcp(sock: TcpSocket, handler: DnsHandler, observe: (r: Reply, t: Transport, started: bigint) => void, log: Logger): void {
  let buf: Buffer = Buffer.alloc(0);
  sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
  sock.on("error", (err) => log.debug({ err: err.message }, "dns tcp client error"));
  sock.on("data", (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
      buf = buf.subarray(2 + msg.length);
      const started = process.hrtime.bigint();
      void handler.handle(Buffer.from(msg), "tcp").then((r) => {
        if (!r || sock.destroyed) return;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(r.bytes.length);
        sock.write(Buffer.concat([len, r.bytes]));
        observe(r, "tcp", started);
      });
    }
  });
}
