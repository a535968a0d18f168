// The TCP balancer at an HA cluster's address (kubectl/src/cluster/balancer.ts): bytes pass through
// untouched, new connections go to healthy backends only, a dead backend is skipped at once (before
// its health check notices), and a connection through a backend that dies is closed.
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { after, test } from "node:test";
import { TcpBalancer } from "@mk/kubectl/cluster/balancer.js";
import { etcdRole } from "@mk/kubectl/cluster/roles.js";
import { freePort } from "../harness/etcd.js";
import { eventually } from "../harness/wait.js";

interface FakeBackend {
  name: string;
  address: string;
  healthUrl: string;
  ready: boolean;
  tcp: Server;
  http: HttpServer;
  sockets: Set<Socket>;
}

const listen = (srv: Server | HttpServer, port: number) => new Promise<void>((r) => srv.listen(port, "127.0.0.1", () => r()));
const close = (srv: Server | HttpServer) =>
  new Promise<void>((r) => {
    srv.close(() => r());
    if ("closeAllConnections" in srv) srv.closeAllConnections();
  });

/** A backend answering each line with `<name>:<line>`, and a /readyz that follows `ready`. */
async function backend(name: string): Promise<FakeBackend> {
  const sockets = new Set<Socket>();
  const tcp = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    s.on("data", (d) => s.write(`${name}:${d.toString()}`));
  });
  const b: FakeBackend = { name, address: "", healthUrl: "", ready: true, tcp, http: createHttpServer(), sockets };
  b.http.on("request", (_req, res) => res.writeHead(b.ready ? 200 : 503).end());
  const port = await freePort();
  const httpPort = await freePort();
  await listen(tcp, port);
  await listen(b.http, httpPort);
  b.address = `127.0.0.1:${port}`;
  b.healthUrl = `http://127.0.0.1:${httpPort}/readyz`;
  return b;
}

/** One round trip through the balancer on a new connection: which backend answered. */
function ask(address: string, msg = "hi"): Promise<string> {
  const [host, port] = address.split(":");
  return new Promise((resolve, reject) => {
    const s = connect({ host, port: Number(port) }, () => s.write(msg));
    s.once("data", (d) => {
      resolve(d.toString());
      s.destroy();
    });
    s.once("error", reject);
    s.once("close", () => reject(new Error("closed without an answer")));
  });
}

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

test("the balancer passes bytes through to healthy backends round-robin and fails over new connections at once", async () => {
  const a = await backend("a");
  const b = await backend("b");
  const port = await freePort();
  const healthPort = await freePort();
  const lb = new TcpBalancer({ listen: `127.0.0.1:${port}`, healthListen: `127.0.0.1:${healthPort}`, backends: [a, b], checkMs: 100 });
  await lb.start();
  cleanup.push(() => lb.stop(), () => close(a.http), () => close(b.http));
  const addr = `127.0.0.1:${port}`;

  const answers = new Set<string>();
  for (let i = 0; i < 4; i++) answers.add(await ask(addr, `m${i}`));
  assert.deepEqual(new Set([...answers].map((x) => x.split(":")[0])), new Set(["a", "b"]), "both backends serve");
  assert.ok([...answers].every((x) => /^[ab]:m\d$/.test(x)), "bytes pass unchanged");

  // Not ready (its /readyz says 503): no new connection goes there.
  a.ready = false;
  await eventually("a marked unhealthy", () => lb.status().map((s) => s.healthy).join() === "false,true");
  for (let i = 0; i < 4; i++) assert.equal(await ask(addr), "b:hi");
  const health = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
  assert.equal(health.status, 200, "healthy while one backend is");

  // b dies (its port refuses) while its last check said healthy: the very next connections still
  // succeed, on a, skipped to before any byte was forwarded.
  a.ready = true;
  await eventually("a healthy again", () => lb.status()[0]?.healthy === true);
  const open = connect({ host: "127.0.0.1", port });
  await new Promise<void>((r) => open.once("connect", () => r()));
  open.write("x");
  await new Promise<void>((r) => open.once("data", () => r()));
  const viaB = b.sockets.size > 0;
  const closed = new Promise<void>((r) => open.once("close", () => r()));
  open.on("error", () => {});
  for (const s of b.sockets) s.destroy();
  await close(b.tcp);
  for (let i = 0; i < 6; i++) assert.equal(await ask(addr), "a:hi", "every new connection lands on the live backend");
  if (viaB) await closed; // a connection through the dead backend is closed, so its client reconnects
  open.destroy();

  // None left: /healthz says so.
  a.ready = false;
  b.ready = false;
  await eventually("/healthz 503", async () => (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status === 503);
  await close(a.tcp);
});

test("cluster status reads an etcd member's role from its metrics", () => {
  assert.equal(etcdRole("# HELP x\netcd_server_has_leader 1\netcd_server_is_leader 1\n"), "etcd leader");
  assert.equal(etcdRole("etcd_server_has_leader 1\netcd_server_is_leader 0\n"), "etcd follower");
  assert.equal(etcdRole("etcd_server_has_leader 0\netcd_server_is_leader 0\n"), "no leader");
  assert.equal(etcdRole(undefined), "-");
});
