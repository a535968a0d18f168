// The one address of both APIs: the front door reads the ALPN protocols of real TLS ClientHellos
// (captured from node's TLS client) and routes only-"h2" offers (grpc-js) to gRPC, the rest to HTTP.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { connect } from "node:tls";
import { offeredProtocols, protocolOf } from "@mk/apiserver";

/** The first bytes a TLS client offering `alpn` sends (its ClientHello). */
async function clientHello(alpn: string[] | undefined): Promise<Buffer> {
  const server = createServer();
  const hello = new Promise<Buffer>((resolve) => server.once("connection", (s) => s.once("data", (d: Buffer) => {
    resolve(d);
    s.destroy();
  })));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const client = connect({ host: "127.0.0.1", port, servername: "localhost", rejectUnauthorized: false, ...(alpn ? { ALPNProtocols: alpn } : {}) });
  client.on("error", () => {
    // the server hangs up after the hello: expected
  });
  try {
    return await hello;
  } finally {
    client.destroy();
    server.close();
  }
}

test("a ClientHello's ALPN list is read as offered", async () => {
  assert.deepEqual(offeredProtocols(await clientHello(["h2", "http/1.1"])), ["h2", "http/1.1"]);
  assert.deepEqual(offeredProtocols(await clientHello(["h2"])), ["h2"]);
  assert.deepEqual(offeredProtocols(await clientHello(undefined)), []);
});

test("part of a ClientHello waits for more; bytes that are no TLS offer nothing", async () => {
  const hello = await clientHello(["h2"]);
  assert.equal(offeredProtocols(hello.subarray(0, 3)), undefined);
  assert.equal(offeredProtocols(hello.subarray(0, hello.length - 1)), undefined);
  assert.deepEqual(offeredProtocols(Buffer.from("GET /version HTTP/1.1\r\n\r\n")), []);
});

test("only-h2 offers (grpc-js) go to gRPC; kubectl's h2 + http/1.1, http/1.1 and none go to HTTP", () => {
  assert.equal(protocolOf(["h2"]), "grpc");
  assert.equal(protocolOf(["h2", "http/1.1"]), "http");
  assert.equal(protocolOf(["http/1.1"]), "http");
  assert.equal(protocolOf([]), "http");
});
