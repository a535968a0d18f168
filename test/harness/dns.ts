// DNS from the test's side: a client that sends one query over UDP or TCP to a loopback server and
// decodes the answer, and a stub upstream resolver on loopback (tests point --dns-upstream at it and
// at nothing else) that answers a fixed table and records what it was asked.
import { createSocket } from "node:dgram";
import { createServer, connect, type Server, type Socket } from "node:net";
import * as packet from "dns-packet";

export interface QueryOptions {
  transport?: "udp" | "tcp";
  /** Advertise EDNS with this UDP payload size. */
  edns?: number;
  timeoutMs?: number;
  id?: number;
}

export interface DnsReply {
  packet: packet.DecodedPacket;
  /** RCODE name: NOERROR, NXDOMAIN, SERVFAIL … */
  rcode: string;
  bytes: number;
}

const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

export function rcodeOf(p: packet.DecodedPacket): string {
  const n = (p.flags ?? 0) & 0xf;
  return RCODES[n] ?? `RCODE_${n}`;
}

export function encodeQuery(name: string, type: packet.RecordType, o: QueryOptions = {}): Buffer {
  return packet.encode({
    type: "query",
    id: o.id ?? Math.floor(Math.random() * 65535),
    flags: packet.RECURSION_DESIRED,
    questions: [{ type, name, class: "IN" }],
    additionals: o.edns ? [{ type: "OPT", name: ".", udpPayloadSize: o.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  });
}

/** Sends raw bytes and returns the raw answer. */
export function exchange(port: number, bytes: Buffer, o: QueryOptions = {}, host = "127.0.0.1"): Promise<Buffer> {
  const timeoutMs = o.timeoutMs ?? 5_000;
  if ((o.transport ?? "udp") === "udp") {
    return new Promise((resolve, reject) => {
      const sock = createSocket("udp4");
      const timer = setTimeout(() => {
        sock.close();
        reject(new Error(`no UDP answer from ${host}:${port} in ${timeoutMs} ms`));
      }, timeoutMs);
      sock.on("message", (msg) => {
        clearTimeout(timer);
        sock.close();
        resolve(msg);
      });
      sock.on("error", (err) => {
        clearTimeout(timer);
        sock.close();
        reject(err);
      });
      sock.send(bytes, port, host);
    });
  }
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no TCP answer from ${host}:${port} in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on("connect", () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(bytes.length);
      sock.write(Buffer.concat([len, bytes]));
    });
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export async function query(port: number, name: string, type: packet.RecordType, o: QueryOptions = {}): Promise<DnsReply> {
  const raw = await exchange(port, encodeQuery(name, type, o), o);
  const p = packet.decode(raw);
  return { packet: p, rcode: rcodeOf(p), bytes: raw.length };
}

/** The data of the answers of one type, sorted (A → addresses; SRV → "port target"). */
export function answerData(r: DnsReply, type: packet.RecordType = "A"): string[] {
  return (r.packet.answers ?? [])
    .filter((x) => x.type === type)
    .map((x) => {
      if (x.type === "SRV") return `${x.data.port} ${x.data.target}`;
      if (x.type === "A" || x.type === "PTR" || x.type === "NS") return x.data;
      return JSON.stringify("data" in x ? x.data : "");
    })
    .sort();
}

export interface StubUpstream {
  port: number;
  /** Names asked so far (lower case), with the transport. */
  asked: { name: string; transport: "udp" | "tcp" }[];
  stop(): Promise<void>;
}

/** A loopback resolver answering `table` (name → IPv4) with A records, NXDOMAIN for the rest. */
export async function startStubUpstream(table: Record<string, string>): Promise<StubUpstream> {
  const asked: StubUpstream["asked"] = [];
  const answer = (raw: Buffer, transport: "udp" | "tcp"): Buffer => {
    const q = packet.decode(raw);
    const question = q.questions?.[0];
    const name = question?.name.toLowerCase() ?? "";
    asked.push({ name, transport });
    const ip = table[name];
    return packet.encode({
      type: "response",
      id: q.id ?? 0,
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (ip ? 0 : 3),
      questions: q.questions ?? [],
      answers: ip && question?.type === "A" ? [{ type: "A", name: question.name, ttl: 60, class: "IN", data: ip }] : [],
    });
  };
  const sockets = new Set<Socket>();
  const tcp: Server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    let buf: Buffer = Buffer.alloc(0);
    s.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const out = answer(Buffer.from(msg), "tcp");
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        s.write(Buffer.concat([len, out]));
      }
    });
    s.on("error", () => s.destroy());
  });
  const port = await new Promise<number>((resolve) => {
    tcp.listen(0, "127.0.0.1", () => {
      const a = tcp.address();
      resolve(typeof a === "object" && a ? a.port : 0);
    });
  });
  const udp = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    udp.once("error", reject);
    udp.bind(port, "127.0.0.1", () => resolve());
  });
  udp.on("message", (msg, rinfo) => udp.send(answer(msg, "udp"), rinfo.port, rinfo.address));
  let stopping: Promise<void> | undefined;
  return {
    port,
    asked,
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
