// Signs a node's certificate signing request with the cluster CA, in-process (@mk/proto/pki).
// The subject is always replaced: CN=system:node:<name>, O=system:nodes; the certificate serves
// both as the kubelet's client certificate and as its server's, so it names the node's IP.
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { BadRequestError } from "@mk/proto/client";
import { signCertificate, verifiedCsrKey } from "@mk/proto/pki";

export interface CaFiles {
  cert: string;
  key: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export async function signNodeCertificate(ca: CaFiles, nodeName: string, nodeIp: string, csrPem: string, days = 365): Promise<string> {
  if (!DNS_SUBDOMAIN.test(nodeName) || nodeName.length > 253) throw new BadRequestError(`node name ${JSON.stringify(nodeName)} is not a DNS subdomain`);
  if (!isIP(nodeIp)) throw new BadRequestError(`node IP ${JSON.stringify(nodeIp)} is not an IP address`);
  if (!csrPem.includes("-----BEGIN CERTIFICATE REQUEST-----")) throw new BadRequestError("the certificate request is not a PEM CSR");
  let publicKey: Awaited<ReturnType<typeof verifiedCsrKey>>;
  try {
    // The request is signed by the key it carries (the joiner holds that key).
    publicKey = await verifiedCsrKey(csrPem);
  } catch (err) {
    throw new BadRequestError("the certificate request does not verify", { cause: err });
  }
  // Read at every join: a CA rotated on disk is used from the next request on, as before.
  const [certPem, keyPem] = await Promise.all([readFile(ca.cert, "utf8"), readFile(ca.key, "utf8")]);
  return await signCertificate({ certPem, keyPem }, publicKey, {
    subject: `/O=system:nodes/CN=system:node:${nodeName}`,
    sans: [`IP:${nodeIp}`, `DNS:${nodeName}`],
    usage: "both",
    days,
  });
}
