import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { connect } from "@mk/proto/client";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";

let api: TestApiServer;
let dir: string;
const pem = (f: string) => readFileSync(join(dir, f));

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCerts(): void {
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=mk-test-ca", "-days", "1");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  for (const who of ["server", "client"]) {
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${who}.key`, "-out", `${who}.csr`, "-subj", who === "client" ? "/O=system:masters/CN=mk-client" : `/CN=mk-${who}`);
    const ext = who === "server" ? ["-extfile", "server.ext"] : [];
    ssl("x509", "-req", "-in", `${who}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${who}.crt`, "-days", "1", ...ext);
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mk-tls-"));
  makeCerts();
  api = await startTestApiServer({ tls: { cert: pem("server.crt"), key: pem("server.key"), clientCa: pem("ca.crt") } });
});
after(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("mutual TLS: a client with a certificate from the CA is served", async () => {
  const cs = connect({ server: api.address, tls: { ca: pem("ca.crt"), cert: pem("client.crt"), key: pem("client.key") }, retry: { attempts: 1 } });
  try {
    assert.equal((await cs.namespaces.get("default")).metadata?.name, "default");
  } finally {
    cs.close();
  }
});

test("mutual TLS: a client without a certificate, or in plaintext, is refused", async () => {
  for (const tls of [{ ca: pem("ca.crt") }, undefined]) {
    const cs = connect({ server: api.address, tls, retry: { attempts: 1 }, timeoutMs: 3_000 });
    try {
      await assert.rejects(() => cs.namespaces.get("default"));
    } finally {
      cs.close();
    }
  }
});
