// The certificates @mk/proto/pki makes, read back with node:crypto (subject, issuer, SANs, CA flag,
// extended key usage, signature) and @peculiar/x509's parser for what node:crypto does not show
// (keyUsage bits and which extensions are critical): the same as openssl made them before.
import "reflect-metadata";
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, KeyObject, webcrypto, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { signNodeCertificate } from "@mk/apiserver/auth/signer.js";
import { createCa, issue, newKeyAndCsr, pkiPaths } from "@mk/kubectl/cluster/pki.js";
import { BadRequestError } from "@mk/proto/client";
import { createCa as makeCa, issueCertificate, parseSubject } from "@mk/proto/pki";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto);

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const DAY = 86_400_000;

/** keyUsage bits and criticality, basicConstraints, as a parser other than node's reads them. */
function extensions(pem: string) {
  const cert = new x509.X509Certificate(pem);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  return {
    keyUsage: ku?.usages,
    keyUsageCritical: ku?.critical,
    ca: bc?.ca,
    basicConstraintsCritical: bc?.critical,
    skid: cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    akid: cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId,
  };
}

test("the CA: self-signed, CA:TRUE (critical), keyCertSign|cRLSign|digitalSignature (critical), EC P-256, ten years, PKCS#8 key 0600", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mk-x509-"));
  try {
    const { ca } = pkiPaths(dir);
    await createCa(ca, "mk-test-ca");
    const cert = new X509Certificate(readFileSync(ca.cert));
    assert.equal(cert.subject, "CN=mk-test-ca");
    assert.equal(cert.issuer, "CN=mk-test-ca");
    assert.equal(cert.ca, true);
    assert.ok(cert.checkIssued(cert), "self-issued");
    assert.ok(cert.verify(cert.publicKey), "self-signed");
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY;
    assert.ok(Math.abs(days - 3650) < 1, `valid for ${days} days`);
    assert.match(cert.serialNumber, /^1[0-9A-F]{31}$/, "a random positive 128-bit serial");
    const ext = extensions(readFileSync(ca.cert, "utf8"));
    assert.equal(ext.ca, true);
    assert.equal(ext.basicConstraintsCritical, true);
    assert.equal(ext.keyUsage, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature);
    assert.equal(ext.keyUsageCritical, true);
    assert.ok(ext.skid);
    const key = readFileSync(ca.key, "utf8");
    assert.match(key, /^-----BEGIN PRIVATE KEY-----\n/, "PKCS#8 PEM, as openssl req -nodes wrote it");
    assert.equal(createPrivateKey(key).asymmetricKeyType, "ec");
    assert.equal(statSync(ca.key).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a leaf: subject O then CN, issuer the CA, SANs, CA:FALSE, digitalSignature|keyEncipherment (critical), the extended key usage asked for", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mk-x509-"));
  try {
    const { ca, apiserver, admin, etcdServer } = pkiPaths(dir);
    await createCa(ca);
    const caCert = new X509Certificate(readFileSync(ca.cert));
    await issue(ca, apiserver, { subject: "/CN=kube-apiserver", sans: ["IP:10.9.8.7", "IP:127.0.0.1", "DNS:localhost"], usage: "server" });
    await issue(ca, admin, { subject: "/O=system:masters/CN=admin", usage: "client" });
    await issue(ca, etcdServer, { subject: "/CN=etcd", sans: ["IP:127.0.0.1"], usage: "both" });
    const read = (f: string) => new X509Certificate(readFileSync(f));
    const server = read(apiserver.cert);
    assert.equal(server.subject, "CN=kube-apiserver");
    assert.equal(server.issuer, "CN=mk-ca");
    assert.ok(server.checkIssued(caCert));
    assert.ok(server.verify(caCert.publicKey));
    assert.equal(server.subjectAltName, "IP Address:10.9.8.7, IP Address:127.0.0.1, DNS:localhost");
    assert.equal(server.checkIP("10.9.8.7"), "10.9.8.7");
    assert.equal(server.checkHost("localhost"), "localhost");
    assert.deepEqual(server.toLegacyObject().ext_key_usage, [SERVER_AUTH]);
    assert.equal(server.ca, false);
    // The subject in openssl's order (O first): node prints one attribute a line.
    const client = read(admin.cert);
    assert.equal(client.subject, "O=system:masters\nCN=admin");
    assert.equal(client.subjectAltName, undefined);
    assert.deepEqual(client.toLegacyObject().ext_key_usage, [CLIENT_AUTH]);
    assert.deepEqual(read(etcdServer.cert).toLegacyObject().ext_key_usage, [SERVER_AUTH, CLIENT_AUTH]);
    for (const f of [apiserver, admin, etcdServer]) {
      const ext = extensions(readFileSync(f.cert, "utf8"));
      assert.equal(ext.ca, false);
      assert.equal(ext.basicConstraintsCritical, true);
      assert.equal(ext.keyUsage, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
      assert.equal(ext.keyUsageCritical, true);
      assert.equal(ext.akid, extensions(readFileSync(ca.cert, "utf8")).skid, "the leaf names its CA's key");
      assert.ok(read(f.cert).checkPrivateKey(createPrivateKey(readFileSync(f.key))), "the key file is the certificate's");
      assert.equal(statSync(f.key).mode & 0o777, 0o600);
    }
    // Another CA's certificate is not this one's issuer.
    const other = await makeCa("other", 1);
    assert.equal(server.checkIssued(new X509Certificate(other.certPem)), false);
    assert.equal(server.verify(new X509Certificate(other.certPem).publicKey), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a subject or SAN in another notation is refused with the offending part named", async () => {
  assert.deepEqual(parseSubject("/O=system:nodes/CN=system:node:n1"), [{ O: ["system:nodes"] }, { CN: ["system:node:n1"] }]);
  assert.throws(() => parseSubject("CN=admin"), /subject "CN=admin": want \/KEY=value/);
  assert.throws(() => parseSubject("/CN=admin/XX=1"), /"XX=1" is not KEY=value/);
  assert.throws(() => parseSubject("/CN="), /"CN=" is not KEY=value/);
  const ca = await makeCa("mk-ca", 1);
  await assert.rejects(() => issueCertificate(ca, { subject: "/CN=x", sans: ["10.0.0.1"], usage: "server", days: 1 }), /"10\.0\.0\.1": want IP:<address> or DNS:<name>/);
});

test("the API server's signer: a joiner's CSR becomes CN=system:node:<name>, O=system:nodes with the node's IP and name, for one year; a forged CSR is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mk-x509-"));
  try {
    const { ca } = pkiPaths(dir);
    await createCa(ca);
    const keyFile = join(dir, "kubelet.key");
    // The joiner asks for a subject of its choosing; the signer replaces it.
    const csr = await newKeyAndCsr(keyFile, "/CN=system:node:n1/O=system:masters");
    const pem = await signNodeCertificate(ca, "n1", "10.1.2.3", csr);
    const cert = new X509Certificate(pem);
    assert.equal(cert.subject, "O=system:nodes\nCN=system:node:n1");
    assert.equal(cert.subjectAltName, "IP Address:10.1.2.3, DNS:n1");
    assert.ok(cert.checkIssued(new X509Certificate(readFileSync(ca.cert))));
    assert.ok(cert.verify(new X509Certificate(readFileSync(ca.cert)).publicKey));
    assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(keyFile))), "issued for the joiner's own key");
    assert.deepEqual(cert.toLegacyObject().ext_key_usage, [SERVER_AUTH, CLIENT_AUTH]);
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY;
    assert.ok(Math.abs(days - 365) < 1, `valid for ${days} days`);
    assert.equal(extensions(pem).keyUsage, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);

    // A request whose signature does not match the key it carries (one byte of the signature changed).
    const der = Buffer.from(csr.replace(/-----[^-]+-----/g, "").replace(/\s/g, ""), "base64");
    der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0xff;
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    await assert.rejects(() => signNodeCertificate(ca, "n1", "10.1.2.3", forged), (err: unknown) => err instanceof BadRequestError && /does not verify/.test(err.message));
    await assert.rejects(() => signNodeCertificate(ca, "n1", "not-an-ip", csr), /node IP "not-an-ip" is not an IP address/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a CA whose key is RSA (as kubeadm makes them) or SEC1 PEM still signs", async () => {
  const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) };
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({ name: "CN=rsa-ca", keys, signingAlgorithm: alg, extensions: [new x509.BasicConstraintsExtension(true, undefined, true)] });
  const rsaCa = { certPem: caCert.toString("pem"), keyPem: KeyObject.from(keys.privateKey).export({ type: "pkcs1", format: "pem" }).toString() };
  const leaf = await issueCertificate(rsaCa, { subject: "/CN=x", usage: "client", days: 1 });
  assert.ok(new X509Certificate(leaf.certPem).verify(new X509Certificate(rsaCa.certPem).publicKey));

  const ec = await makeCa("ec-ca", 1);
  const sec1 = createPrivateKey(ec.keyPem).export({ type: "sec1", format: "pem" }).toString();
  assert.match(sec1, /BEGIN EC PRIVATE KEY/);
  const leaf2 = await issueCertificate({ certPem: ec.certPem, keyPem: sec1 }, { subject: "/CN=y", usage: "server", days: 1 });
  assert.ok(new X509Certificate(leaf2.certPem).verify(new X509Certificate(ec.certPem).publicKey));
  // A curve the signer does not take is named.
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "secp521r1" });
  await assert.rejects(() => issueCertificate({ certPem: ec.certPem, keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() }, { subject: "/CN=z", usage: "server", days: 1 }), /curve secp521r1 is not P-256 or P-384/);
});
