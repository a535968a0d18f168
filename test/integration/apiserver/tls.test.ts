import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { connect } from "@mk/proto/client";
import { createCa, issueCertificate } from "@mk/proto/pki";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";

let api: TestApiServer;
let dir: string;
const pem = (f: string) => readFileSync(join(dir, f));

/** A CA, a server certificate for 127.0.0.1 and a client certificate (O=system:masters), made in-process. */
async function makeCerts(): Promise<void> {
  const ca = await createCa("mk-test-ca", 1);
  const server = await issueCertificate(ca, { subject: "/CN=mk-server", sans: ["IP:127.0.0.1", "DNS:localhost"], usage: "server", days: 1 });
  const client = await issueCertificate(ca, { subject: "/O=system:masters/CN=mk-client", usage: "client", days: 1 });
  for (const [name, pair] of [["ca", ca], ["server", server], ["client", client]] as const) {
    writeFileSync(join(dir, `${name}.crt`), pair.certPem);
    writeFileSync(join(dir, `${name}.key`), pair.keyPem);
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mk-tls-"));
  await makeCerts();
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
