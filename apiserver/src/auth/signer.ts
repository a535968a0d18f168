// Signs a node's certificate signing request with the cluster CA (openssl, argument arrays only).
// The subject is always replaced: CN=system:node:<name>, O=system:nodes; the certificate serves
// both as the kubelet's client certificate and as its server's, so it names the node's IP.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { BadRequestError } from "@mk/proto/client";

const run = promisify(execFile);

export interface CaFiles {
  cert: string;
  key: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export async function signNodeCertificate(ca: CaFiles, nodeName: string, nodeIp: string, csrPem: string, days = 365): Promise<string> {
  if (!DNS_SUBDOMAIN.test(nodeName) || nodeName.length > 253) throw new BadRequestError(`node name ${JSON.stringify(nodeName)} is not a DNS subdomain`);
  if (!isIP(nodeIp)) throw new BadRequestError(`node IP ${JSON.stringify(nodeIp)} is not an IP address`);
  if (!csrPem.includes("-----BEGIN CERTIFICATE REQUEST-----")) throw new BadRequestError("the certificate request is not a PEM CSR");
  const dir = await mkdtemp(join(tmpdir(), "mk-sign-"));
  try {
    const csr = join(dir, "node.csr");
    const ext = join(dir, "node.ext");
    await writeFile(csr, csrPem);
    await writeFile(
      ext,
      ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=clientAuth,serverAuth", `subjectAltName=IP:${nodeIp},DNS:${nodeName}`, ""].join("\n"),
    );
    try {
      // -verify: the request is signed by the key it carries (the joiner holds that key).
      await run("openssl", ["req", "-in", csr, "-noout", "-verify"]);
    } catch (err) {
      throw new BadRequestError("the certificate request does not verify", { cause: err });
    }
    const serial = `0x1${randomBytes(15).toString("hex")}`;
    const { stdout } = await run("openssl", ["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial", serial, "-days", String(days), "-subj", `/O=system:nodes/CN=system:node:${nodeName}`, "-extfile", ext]);
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
