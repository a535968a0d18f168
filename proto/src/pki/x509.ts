// X.509 certificates made in-process (@peculiar/x509 over Node's WebCrypto): the cluster's CA, the
// certificates it issues (mkctl's PKI, the API server's signer of kubelets' requests) and the
// requests a joiner sends. One place decides the extensions, as openssl did from the command lines
// this replaces: a CA is `basicConstraints critical CA:TRUE` with `keyUsage critical keyCertSign,
// cRLSign, digitalSignature`; a leaf is `CA:FALSE`, `keyUsage critical digitalSignature,
// keyEncipherment`, an extendedKeyUsage for its use and its SANs; every certificate names its key
// (subjectKeyIdentifier) and a leaf its CA's (authorityKeyIdentifier). Keys are EC P-256 (a key in
// milliseconds; RSA-2048 takes ~100 ms), written as PKCS#8 PEM, which node:tls, grpc-js and etcd read.
import "reflect-metadata"; // tsyringe, under @peculiar/x509, needs Reflect.getMetadata before it loads
import { createPrivateKey, KeyObject, randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto);

const EC_P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

/** A key (PKCS#8 PEM) and its certificate (PEM). */
export interface KeyAndCert {
  keyPem: string;
  certPem: string;
}

export type CertUsage = "client" | "server" | "both";

export interface LeafRequest {
  /** openssl's notation, in order: "/O=system:masters/CN=admin". */
  subject: string;
  /** "IP:127.0.0.1", "DNS:localhost" … */
  sans?: string[];
  usage: CertUsage;
  days: number;
}

const SUBJECT_ATTRIBUTES = new Set(["CN", "O", "OU", "C", "ST", "L"]);

/** "/O=system:masters/CN=admin" → a name with O then CN, as openssl's -subj would make it. */
export function parseSubject(subject: string): x509.JsonName {
  const parts = subject.split("/");
  if (parts.shift() !== "" || parts.length === 0) throw new Error(`subject ${JSON.stringify(subject)}: want /KEY=value/…, e.g. /O=system:nodes/CN=system:node:n1`);
  return parts.map((part) => {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (eq < 1 || !SUBJECT_ATTRIBUTES.has(key) || value === "") throw new Error(`subject ${JSON.stringify(subject)}: ${JSON.stringify(part)} is not KEY=value with KEY one of ${[...SUBJECT_ATTRIBUTES].join(", ")}`);
    return { [key]: [value] };
  });
}

function altNames(sans: string[]): x509.JsonGeneralNames {
  return sans.map((s) => {
    if (s.startsWith("IP:")) return { type: "ip", value: s.slice(3) };
    if (s.startsWith("DNS:")) return { type: "dns", value: s.slice(4) };
    throw new Error(`subject alternative name ${JSON.stringify(s)}: want IP:<address> or DNS:<name>`);
  });
}

/** A random positive serial of 128 bits (the first hex digit 1: never read as negative, never shortened). */
const serial = () => `1${randomBytes(16).toString("hex").slice(1)}`;

const keyPem = (key: webcrypto.CryptoKey) => KeyObject.from(key).export({ type: "pkcs8", format: "pem" }).toString();

export const newKeyPair = (): Promise<webcrypto.CryptoKeyPair> => webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"]);

/**
 * A CA's private key for signing, from PEM (PKCS#8, or SEC1/PKCS#1 as older tools wrote them):
 * EC P-256/P-384 signs with ECDSA, RSA with PKCS#1 v1.5, both over SHA-256 as openssl did.
 */
async function signingKey(pem: string): Promise<{ key: webcrypto.CryptoKey; algorithm: webcrypto.Algorithm | webcrypto.EcdsaParams }> {
  const object = createPrivateKey(pem);
  const der = object.export({ type: "pkcs8", format: "der" });
  if (object.asymmetricKeyType === "ec") {
    const curve = object.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === "prime256v1" ? "P-256" : curve === "secp384r1" ? "P-384" : undefined;
    if (!namedCurve) throw new Error(`the CA key's curve ${curve} is not P-256 or P-384`);
    const key = await webcrypto.subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve }, false, ["sign"]);
    return { key, algorithm: { name: "ECDSA", hash: "SHA-256" } satisfies webcrypto.EcdsaParams };
  }
  if (object.asymmetricKeyType === "rsa") {
    const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    return { key: await webcrypto.subtle.importKey("pkcs8", der, algorithm, false, ["sign"]), algorithm };
  }
  throw new Error(`the CA key is ${object.asymmetricKeyType}, not EC or RSA`);
}

/** A self-signed CA. */
export async function createCa(commonName: string, days: number): Promise<KeyAndCert> {
  const keys = await newKeyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [commonName] }],
    notBefore: new Date(now),
    notAfter: new Date(now + days * DAY_MS),
    keys,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keyPem: keyPem(keys.privateKey), certPem: cert.toString("pem") };
}

const EKU: Record<CertUsage, x509.ExtendedKeyUsage[]> = {
  client: [x509.ExtendedKeyUsage.clientAuth],
  server: [x509.ExtendedKeyUsage.serverAuth],
  both: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
};

/** A certificate for publicKey, signed by the CA (its certificate and key in PEM). */
export async function signCertificate(ca: KeyAndCert, publicKey: x509.PublicKeyType, req: LeafRequest): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const { key, algorithm } = await signingKey(ca.keyPem);
  const now = Date.now();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(EKU[req.usage]),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  if (req.sans?.length) extensions.splice(3, 0, new x509.SubjectAlternativeNameExtension(altNames(req.sans)));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: parseSubject(req.subject),
    issuer: caCert.subjectName,
    notBefore: new Date(now),
    notAfter: new Date(now + req.days * DAY_MS),
    publicKey,
    signingKey: key,
    signingAlgorithm: algorithm,
    extensions,
  });
  return cert.toString("pem");
}

/** A new key and a certificate for it signed by the CA. */
export async function issueCertificate(ca: KeyAndCert, req: LeafRequest): Promise<KeyAndCert> {
  const keys = await newKeyPair();
  return { keyPem: keyPem(keys.privateKey), certPem: await signCertificate(ca, keys.publicKey, req) };
}

/** A new key and a certificate signing request (PKCS#10, PEM) for it: what a joiner sends. */
export async function newKeyAndCsr(subject: string): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await newKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: parseSubject(subject), keys, signingAlgorithm: EC_P256 });
  return { keyPem: keyPem(keys.privateKey), csrPem: csr.toString("pem") };
}

/** The public key of a PEM certificate request whose signature verifies (its sender holds the key); throws otherwise. */
export async function verifiedCsrKey(csrPem: string): Promise<x509.PublicKey> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  if (!(await csr.verify())) throw new Error("the certificate request's signature does not verify");
  return csr.publicKey;
}
