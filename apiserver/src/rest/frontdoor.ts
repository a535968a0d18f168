// One address for both APIs. grpc-js cannot share a node:http2 server, and both mkctl (gRPC) and
// kubectl negotiate HTTP/2 over TLS, so the split happens before TLS: this plain TCP server reads the
// client's TLS ClientHello (sent in the clear), looks at the ALPN protocols it offers, and hands the
// socket, bytes unread, to the server that will do the handshake. grpc-js offers only "h2"; HTTP
// clients (kubectl's Go client, curl, browsers) also offer "http/1.1" or no ALPN at all. So: only
// "h2" → gRPC, anything else → the Kubernetes HTTP API. Both servers use the same certificate and
// the same client CA, so identities are the same whichever way a connection goes.
import { createServer, type Server, type Socket } from "node:net";

export type Protocol = "grpc" | "http";

export interface FrontDoorTargets {
  grpc(socket: Socket): void;
  http(socket: Socket): void;
}

const HANDSHAKE = 22;
const CLIENT_HELLO = 1;
const ALPN_EXTENSION = 16;
/** A ClientHello larger than this is not one (TLS records carry at most 16 KiB). */
const MAX_HELLO = 16_384 + 5;
/** A client that sends no ClientHello within this time is dropped. */
const HELLO_TIMEOUT_MS = 10_000;

/**
 * The ALPN protocols a TLS ClientHello offers; undefined while `buf` holds only part of the record;
 * [] when the bytes are no ClientHello or it offers none.
 */
export function offeredProtocols(buf: Buffer): string[] | undefined {
  if (buf.length < 5) return undefined;
  if (buf[0] !== HANDSHAKE) return [];
  const recordEnd = 5 + buf.readUInt16BE(3);
  if (buf.length < recordEnd) return undefined;
  const hello = buf.subarray(5, recordEnd);
  if (hello[0] !== CLIENT_HELLO) return [];
  try {
    // handshake header (4), client_version (2), random (32), then session id, ciphers, compression.
    let at = 4 + 2 + 32;
    at += 1 + hello.readUInt8(at);
    at += 2 + hello.readUInt16BE(at);
    at += 1 + hello.readUInt8(at);
    const extensionsEnd = at + 2 + hello.readUInt16BE(at);
    at += 2;
    while (at + 4 <= extensionsEnd) {
      const type = hello.readUInt16BE(at);
      const len = hello.readUInt16BE(at + 2);
      if (type === ALPN_EXTENSION) {
        const out: string[] = [];
        const listEnd = at + 6 + hello.readUInt16BE(at + 4);
        for (let p = at + 6; p < listEnd; ) {
          const n = hello.readUInt8(p);
          out.push(hello.toString("latin1", p + 1, p + 1 + n));
          p += 1 + n;
        }
        return out;
      }
      at += 4 + len;
    }
  } catch (err) {
    // A truncated or malformed hello: the TLS server it goes to will refuse it properly.
    if (!(err instanceof RangeError)) throw err;
  }
  return [];
}

/** Which API a connection offering these ALPN protocols speaks (see the header comment). */
export function protocolOf(alpn: readonly string[]): Protocol {
  return alpn.length > 0 && alpn.every((p) => p === "h2") ? "grpc" : "http";
}

/** Starts the TCP listener that routes each connection by its ClientHello. */
export async function startFrontDoor(host: string, port: number, targets: FrontDoorTargets): Promise<{ server: Server; port: number }> {
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    let buf = Buffer.alloc(0);
    socket.setTimeout(HELLO_TIMEOUT_MS, () => socket.destroy());
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const alpn = buf.length > MAX_HELLO ? [] : offeredProtocols(buf);
      if (alpn === undefined) return;
      socket.off("data", onData);
      socket.off("error", onError);
      socket.pause();
      socket.setTimeout(0);
      // Give the bytes back: the chosen server reads the whole ClientHello itself.
      socket.unshift(buf);
      targets[protocolOf(alpn)](socket);
    };
    const onError = () => socket.destroy();
    socket.on("error", onError);
    socket.on("data", onData);
    socket.resume();
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const addr = server.address();
      resolve(typeof addr === "object" && addr ? addr.port : port);
    });
  });
  return { server, port: bound };
}
