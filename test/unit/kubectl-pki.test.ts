import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { caCertHash, createToken, initPki, liveTokenLines, TOKEN_PATTERN } from "@mk/kubectl/cluster/pki.js";

test("cluster init: a CA, serving and client certificates, a hashed token; a second init keeps the CA", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mk-pki-"));
  try {
    const first = await initPki({ dir, advertiseAddress: "10.9.8.7", tokenTtlSeconds: 3600 });
    assert.ok(first.created);
    assert.match(first.token, TOKEN_PATTERN);
    assert.match(first.caCertHash, /^sha256:[0-9a-f]{64}$/);
    const ca = new X509Certificate(readFileSync(first.pki.ca.cert));
    const cert = (f: string) => new X509Certificate(readFileSync(f));
    const api = cert(first.pki.apiserver.cert);
    assert.ok(api.verify(ca.publicKey));
    assert.match(api.subjectAltName ?? "", /IP Address:10\.9\.8\.7/);
    assert.match(api.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
    assert.match(api.subjectAltName ?? "", /DNS:localhost/);
    const admin = cert(first.pki.admin.cert);
    assert.match(admin.subject, /CN=admin/);
    assert.match(admin.subject, /O=system:masters/);
    assert.match(cert(first.pki.scheduler.cert).subject, /CN=system:kube-scheduler/);
    assert.match(cert(first.pki.controllerManager.cert).subject, /CN=system:kube-controller-manager/);
    const tokens = readFileSync(first.pki.tokens, "utf8");
    assert.ok(!tokens.includes(first.token.split(".")[1] ?? "?"), "the token's secret is not stored");
    const second = await initPki({ dir, advertiseAddress: "10.9.8.7", tokenTtlSeconds: 3600 });
    assert.equal(second.created, false);
    assert.equal(second.caCertHash, first.caCertHash);
    assert.notEqual(second.token, first.token);
    assert.equal(caCertHash(readFileSync(first.pki.ca.cert)), first.caCertHash);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("cluster init with a CA copied in (a control plane joining on another machine): its certificates from that CA; a new advertise address re-issues the API server's and etcd's", async () => {
  const first = mkdtempSync(join(tmpdir(), "mk-pki-"));
  const second = mkdtempSync(join(tmpdir(), "mk-pki-"));
  try {
    const cluster = await initPki({ dir: first, advertiseAddress: "10.9.8.7", tokenTtlSeconds: 3600 });
    for (const f of ["ca.crt", "ca.key"]) copyFileSync(join(first, f), join(second, f));
    const joined = await initPki({ dir: second, advertiseAddress: "10.9.8.8", tokenTtlSeconds: 1 });
    assert.equal(joined.created, false, "the copied CA is kept");
    assert.equal(joined.caCertHash, cluster.caCertHash);
    const ca = new X509Certificate(readFileSync(cluster.pki.ca.cert));
    for (const files of [joined.pki.apiserver, joined.pki.etcdServer, joined.pki.etcdClient, joined.pki.admin, joined.pki.scheduler]) {
      assert.ok(new X509Certificate(readFileSync(files.cert)).verify(ca.publicKey), `${files.cert} is signed by the cluster's CA`);
    }
    assert.match(new X509Certificate(readFileSync(joined.pki.etcdServer.cert)).subjectAltName ?? "", /IP Address:10\.9\.8\.8/);
    // The first machine's etcd certificate names its own address (its peers and the joiner reach it there).
    assert.match(new X509Certificate(readFileSync(cluster.pki.etcdServer.cert)).subjectAltName ?? "", /IP Address:10\.9\.8\.7/);
    const etcdBefore = readFileSync(cluster.pki.etcdServer.cert, "utf8");
    await initPki({ dir: first, advertiseAddress: "10.9.8.7", tokenTtlSeconds: 3600 });
    assert.equal(readFileSync(cluster.pki.etcdServer.cert, "utf8"), etcdBefore, "the same address: kept");
    await initPki({ dir: first, advertiseAddress: "10.9.8.9", tokenTtlSeconds: 3600 });
    for (const files of [cluster.pki.apiserver, cluster.pki.etcdServer]) {
      assert.match(new X509Certificate(readFileSync(files.cert)).subjectAltName ?? "", /IP Address:10\.9\.8\.9/, files.cert);
    }
  } finally {
    rmSync(first, { recursive: true, force: true });
    rmSync(second, { recursive: true, force: true });
  }
});

test("bootstrap tokens: a new token prunes the expired ones from the file, keeps the live ones, and the file stays 0600", () => {
  const dir = mkdtempSync(join(tmpdir(), "mk-tokens-"));
  try {
    const file = join(dir, "bootstrap-tokens");
    const now = Date.parse("2030-01-01T00:00:00Z");
    const idOf = (t: string) => t.slice(0, 6);
    const old = createToken(file, 60, now - 3_600_000); // expired at 23:01 the day before
    const live = createToken(file, 24 * 3600, now - 3_600_000); // valid until 23:00 on the 1st
    assert.equal(liveTokenLines(file, now - 3_600_000).length, 2);
    const fresh = createToken(file, 3600, now);
    const ids = readFileSync(file, "utf8").trim().split("\n").map((l) => l.split(" ")[0]);
    assert.deepEqual(ids, [idOf(live), idOf(fresh)], `the expired token ${idOf(old)} is gone, the others kept in order`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    // An hour after the live one expired, the next token is the only one left.
    const later = createToken(file, 3600, now + 24 * 3_600_000);
    assert.deepEqual(readFileSync(file, "utf8").trim().split("\n").map((l) => l.split(" ")[0]), [idOf(later)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
