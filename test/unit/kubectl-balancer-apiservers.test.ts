// The balancer as mk-balancer.service runs it on machines (deploy/vm): its backends file's bare
// HOST:PORT lines, checked over HTTPS on the API server's TLS port and verified against the cluster
// CA; a balancer with only a file; and the file written from the `kubernetes` Service's endpoints
// (kubectl/src/cluster/apiserver-endpoints.ts).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { apiServerAddresses, backendsFileText, writeBackendsFile } from "@mk/kubectl/cluster/apiserver-endpoints.js";
import { parseBackends, TcpBalancer, tlsReadyzUrl } from "@mk/kubectl/cluster/balancer.js";
import { createCa, issue } from "@mk/kubectl/cluster/pki.js";
import { freePort } from "../harness/etcd.js";
import { eventually } from "../harness/wait.js";

test("backends file: a bare HOST:PORT is checked on its TLS port's /readyz; comments, blank and malformed lines are skipped", () => {
  const text = ["# the cluster's API servers", "192.168.56.10:6443", "  192.168.56.11:6443  ", "", "[fd00::1]:6443", "127.0.0.1:1=http://127.0.0.1:2/readyz", "no-port", "host:notaport", "10.0.0.1:6443=not a url", "=http://x"].join("\n");
  assert.deepEqual(parseBackends(text), [
    { address: "192.168.56.10:6443", healthUrl: "https://192.168.56.10:6443/readyz" },
    { address: "192.168.56.11:6443", healthUrl: "https://192.168.56.11:6443/readyz" },
    { address: "[fd00::1]:6443", healthUrl: "https://[fd00::1]:6443/readyz" },
    { address: "127.0.0.1:1", healthUrl: "http://127.0.0.1:2/readyz" },
  ]);
  assert.equal(tlsReadyzUrl("cp.example:6443"), "https://cp.example:6443/readyz");
});

test("the kubernetes EndpointSlice's addresses, with its https port, sorted and once each; nothing without a port", () => {
  const slice = (addresses: string[][], ports: { name?: string; port?: number }[]) => ({ endpoints: addresses.map((a) => ({ addresses: a })), ports });
  assert.deepEqual(apiServerAddresses(slice([["192.168.56.11"], ["192.168.56.10"], ["192.168.56.11"]], [{ name: "https", port: 6443 }])), ["192.168.56.10:6443", "192.168.56.11:6443"]);
  assert.deepEqual(apiServerAddresses(slice([["fd00::1"]], [{ name: "other", port: 1 }, { name: "https", port: 6443 }])), ["[fd00::1]:6443"]);
  assert.deepEqual(apiServerAddresses(slice([["10.0.0.1"]], [])), []);
  assert.deepEqual(apiServerAddresses(slice([], [{ name: "https", port: 6443 }])), []);
  // What is written is what the balancer reads back.
  const addrs = ["192.168.56.10:6443", "[fd00::1]:6443"];
  assert.deepEqual(
    parseBackends(backendsFileText(addrs)).map((b) => b.address),
    addrs,
  );
});

test("the backends file is rewritten only when its list changes, by a rename", () => {
  const dir = mkdtempSync(join(tmpdir(), "mk-lb-apiservers-"));
  try {
    const file = join(dir, "etc", "apiservers");
    assert.equal(writeBackendsFile(file, ["192.168.56.10:6443"]), true, "made");
    const ino = statSync(file).ino;
    assert.equal(writeBackendsFile(file, ["192.168.56.10:6443"]), false, "same list: untouched");
    assert.equal(statSync(file).ino, ino);
    assert.equal(writeBackendsFile(file, ["192.168.56.10:6443", "192.168.56.11:6443"]), true, "a member more");
    assert.notEqual(statSync(file).ino, ino, "a new file renamed over the old one");
    assert.match(readFileSync(file, "utf8"), /^192\.168\.56\.10:6443\n192\.168\.56\.11:6443\n$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a balancer needs a backend or a backends file; with only a file, it balances to the file's HTTPS-checked backends, verified against the CA given", async () => {
  assert.throws(() => new TcpBalancer({ listen: "127.0.0.1:1", healthListen: "", backends: [] }), /--backend: at least one API server is needed/);
  const dir = mkdtempSync(join(tmpdir(), "mk-lb-https-"));
  const ca = { cert: join(dir, "ca.crt"), key: join(dir, "ca.key") };
  const server = { cert: join(dir, "s.crt"), key: join(dir, "s.key") };
  await createCa(ca);
  await issue(ca, server, { subject: "/CN=kube-apiserver", sans: ["IP:127.0.0.1"], usage: "server" });
  let ready = true;
  const https = createHttpsServer({ cert: readFileSync(server.cert), key: readFileSync(server.key) }, (req, res) => {
    res.writeHead(req.url === "/readyz" && ready ? 200 : 503).end(ready ? "ok" : "readyz check failed");
  });
  const port = await freePort();
  await new Promise<void>((r) => https.listen(port, "127.0.0.1", () => r()));
  const file = join(dir, "apiservers");
  writeFileSync(file, `# seeded\n127.0.0.1:${port}\n`);
  const verified = new TcpBalancer({ listen: `127.0.0.1:${await freePort()}`, healthListen: "", backends: [], backendsFile: file, healthCa: readFileSync(ca.cert), checkMs: 50 });
  // Without the cluster CA the check does not trust the server (Node's roots do not know it).
  const unverified = new TcpBalancer({ listen: `127.0.0.1:${await freePort()}`, healthListen: "", backends: [], backendsFile: file, checkMs: 50 });
  try {
    await verified.start();
    await unverified.start();
    await eventually("the file's backend checked healthy over HTTPS", () => verified.status().map((b) => `${b.address} ${b.healthy}`).join() === `127.0.0.1:${port} true`);
    ready = false;
    await eventually("a 503 from /readyz marks it unhealthy", () => verified.status()[0]?.healthy === false);
    ready = true;
    await eventually("healthy again", () => verified.status()[0]?.healthy === true);
    assert.deepEqual(
      unverified.status().map((b) => b.healthy),
      [false],
      "a certificate from an unknown CA fails the check",
    );
  } finally {
    await verified.stop();
    await unverified.stop();
    https.close();
    https.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a backend whose /readyz hangs (a frozen API server) is marked unhealthy by the check's deadline, and healthy again once it answers", async () => {
  let hang = false;
  const held = new Set<import("node:http").ServerResponse>();
  const { createServer } = await import("node:http");
  const http = createServer((_req, res) => {
    if (hang) held.add(res);
    else res.writeHead(200).end("ok");
  });
  const port = await freePort();
  await new Promise<void>((r) => http.listen(port, "127.0.0.1", () => r()));
  const lb = new TcpBalancer({ listen: `127.0.0.1:${await freePort()}`, healthListen: "", backends: [{ address: `127.0.0.1:${port}`, healthUrl: `http://127.0.0.1:${port}/readyz` }], checkMs: 50 });
  try {
    await lb.start();
    assert.equal(lb.status()[0]?.healthy, true);
    hang = true;
    await eventually("unhealthy once its check times out (1 s)", () => lb.status()[0]?.healthy === false, 10_000);
    hang = false;
    for (const res of held) res.destroy();
    await eventually("healthy again", () => lb.status()[0]?.healthy === true, 10_000);
  } finally {
    await lb.stop();
    http.close();
    http.closeAllConnections();
  }
});
