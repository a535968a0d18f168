// The kubeconfig mk writes serves both tools: with TLS its server is an https:// URL (Kubernetes'
// kubectl needs the scheme) and mkctl still reads it as host:port with the same certificates.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { resolveConnection, writeContext } from "@mk/kubectl/config.js";
import { parse } from "yaml";

test("a TLS context is written with an https:// server, and mkctl resolves it to host:port with TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "mkctl-config-https-"));
  try {
    for (const f of ["ca.crt", "admin.crt", "admin.key"]) writeFileSync(join(dir, f), "pem");
    const path = join(dir, "config");
    writeContext({ name: "mk-local", server: "127.0.0.1:6443", certificateAuthority: join(dir, "ca.crt"), clientCertificate: join(dir, "admin.crt"), clientKey: join(dir, "admin.key") }, path);
    writeContext({ name: "plain", server: "127.0.0.1:7443", setCurrent: false }, path);
    const config = parse(readFileSync(path, "utf8")) as { clusters: { name: string; cluster: { server: string } }[] };
    assert.deepEqual(
      config.clusters.map((c) => [c.name, c.cluster.server]),
      [
        ["mk-local", "https://127.0.0.1:6443"],
        ["plain", "127.0.0.1:7443"],
      ],
    );
    const conn = resolveConnection({ kubeconfig: path });
    assert.equal(conn.server, "127.0.0.1:6443");
    assert.ok(conn.tls, "the TLS settings of the context apply to its https:// server");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
