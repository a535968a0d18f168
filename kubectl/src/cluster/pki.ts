// The cluster's PKI, made by `mkctl cluster init`: a CA, serving certificates for the API server and
// etcd, client certificates for mkctl (admin), the control-plane components, the API server's calls
// to etcd and to kubelets, and bootstrap tokens for `mkctl cluster join`. The certificates are made
// in-process (@mk/proto/pki, which decides their extensions); this file decides which ones a cluster
// has and where they live: a certificate and its PKCS#8 key (0600) per file pair.
import { createHash, randomInt, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { createCa as makeCa, issueCertificate, type KeyAndCert, newKeyAndCsr as makeKeyAndCsr } from "@mk/proto/pki";

/** A certificate and its key, as files. */
export interface CertFiles {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: CertFiles;
  apiserver: CertFiles;
  /** The API server's client certificate towards kubelets (O system:masters). */
  apiserverKubeletClient: CertFiles;
  etcdServer: CertFiles;
  /** The API server's client certificate towards etcd. */
  etcdClient: CertFiles;
  admin: CertFiles;
  scheduler: CertFiles;
  controllerManager: CertFiles;
  /** Bootstrap tokens, one a line: `<id> <sha256 of the whole token> <expiry, ISO 8601>`. */
  tokens: string;
}

export function pkiPaths(dir: string): Pki {
  const pair = (name: string): CertFiles => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) });
  return {
    dir,
    ca: pair("ca"),
    apiserver: pair("apiserver"),
    apiserverKubeletClient: pair("apiserver-kubelet-client"),
    etcdServer: pair("etcd-server"),
    etcdClient: pair("apiserver-etcd-client"),
    admin: pair("admin"),
    scheduler: pair("scheduler"),
    controllerManager: pair("controller-manager"),
    tokens: join(dir, "bootstrap-tokens"),
  };
}

/** Every certificate of the PKI lasts ten years (kubeadm's CA does; its leaves last one). */
const DAYS = 3650;

function writeKey(file: string, pem: string): void {
  writeFileSync(file, pem, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode through writeFileSync
}

function writePair(files: CertFiles, pair: KeyAndCert): void {
  writeKey(files.key, pair.keyPem);
  writeFileSync(files.cert, pair.certPem);
}

export const readPair = (files: CertFiles): KeyAndCert => ({ keyPem: readFileSync(files.key, "utf8"), certPem: readFileSync(files.cert, "utf8") });

export async function createCa(ca: CertFiles, commonName = "mk-ca"): Promise<void> {
  writePair(ca, await makeCa(commonName, DAYS));
}

export interface CertRequest {
  /** e.g. "/O=system:masters/CN=admin" */
  subject: string;
  /** "IP:127.0.0.1", "DNS:localhost" … */
  sans?: string[];
  usage: "client" | "server" | "both";
}

/** Issues a key and a certificate signed by the CA. */
export async function issue(ca: CertFiles, out: CertFiles, req: CertRequest): Promise<void> {
  writePair(out, await issueCertificate(readPair(ca), { ...req, days: DAYS }));
}

/** A new key (written to keyFile, 0600) and a certificate signing request for it (PEM). */
export async function newKeyAndCsr(keyFile: string, subject: string): Promise<string> {
  const { keyPem, csrPem } = await makeKeyAndCsr(subject);
  writeKey(keyFile, keyPem);
  return csrPem;
}

/** kubeadm's --discovery-token-ca-cert-hash: sha256 of the CA's SubjectPublicKeyInfo (DER). */
export function caCertHash(caPem: string | Buffer): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}

const TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
const randomString = (n: number) => Array.from({ length: n }, () => TOKEN_CHARS[randomInt(TOKEN_CHARS.length)]).join("");

export const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

/** The lines of the tokens file whose token has not expired by now (a line without an expiry never does). */
export function liveTokenLines(tokensFile: string, now = Date.now()): string[] {
  let text: string;
  try {
    text = readFileSync(tokensFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => {
      if (l === "") return false;
      const expires = l.split(/\s+/)[2];
      return expires === undefined || !(Date.parse(expires) <= now);
    });
}

/**
 * Creates a bootstrap token `[a-z0-9]{6}.[a-z0-9]{16}`; only its hash is written, with its expiry.
 * Expired tokens are pruned from the file at the same time (every `cluster up` makes one, so it
 * would otherwise grow forever); the API server refuses them either way. The file is replaced by a
 * rename, so the API server never reads half of it.
 */
export function createToken(tokensFile: string, ttlSeconds: number, now = Date.now()): string {
  const token = `${randomString(6)}.${randomString(16)}`;
  const id = token.slice(0, 6);
  const expires = new Date(now + ttlSeconds * 1000).toISOString();
  const lines = [...liveTokenLines(tokensFile, now), `${id} ${createHash("sha256").update(token).digest("hex")} ${expires}`];
  const tmp = `${tokensFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${lines.join("\n")}\n`, { mode: 0o600 });
  renameSync(tmp, tokensFile);
  return token;
}

export interface InitOptions {
  dir: string;
  /** The address nodes reach the API server at; in the serving certificates' SANs. */
  advertiseAddress: string;
  /** Extra SANs for the API server (IP or DNS names). */
  extraSans?: string[];
  /** Extra SANs for the etcd members' certificate (an HA lab's member addresses). */
  etcdExtraSans?: string[];
  tokenTtlSeconds: number;
}

export interface InitResult {
  pki: Pki;
  token: string;
  caCertHash: string;
  /** Whether a CA was made now (false: an existing one was kept). */
  created: boolean;
}

const san = (s: string) => (/^[\d.]+$|:/.test(s) ? `IP:${s}` : `DNS:${s}`);

/**
 * Makes whatever of the PKI is missing (an existing CA and certificates are kept, so init can run
 * before every `cluster up`), and a fresh bootstrap token.
 */
export async function initPki(o: InitOptions): Promise<InitResult> {
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const pki = pkiPaths(o.dir);
  const created = !existsSync(pki.ca.cert) || !existsSync(pki.ca.key);
  if (created) await createCa(pki.ca);
  const names = [...new Set([o.advertiseAddress, "127.0.0.1", "localhost", hostname(), ...(o.extraSans ?? [])].filter((s) => s !== ""))];
  const etcdNames = [...new Set(["127.0.0.1", "localhost", o.advertiseAddress, ...(o.etcdExtraSans ?? [])])].filter((s) => s !== "");
  const wanted: [CertFiles, CertRequest][] = [
    [pki.apiserver, { subject: "/CN=kube-apiserver", sans: names.map(san), usage: "server" }],
    [pki.apiserverKubeletClient, { subject: "/O=system:masters/CN=kube-apiserver-kubelet-client", usage: "client" }],
    [pki.etcdServer, { subject: "/CN=etcd", sans: etcdNames.map(san), usage: "both" }],
    [pki.etcdClient, { subject: "/CN=kube-apiserver-etcd-client", usage: "client" }],
    [pki.admin, { subject: "/O=system:masters/CN=admin", usage: "client" }],
    [pki.scheduler, { subject: "/CN=system:kube-scheduler", usage: "client" }],
    [pki.controllerManager, { subject: "/CN=system:kube-controller-manager", usage: "client" }],
  ];
  await Promise.all(
    wanted.map(async ([files, req]) => {
      // A serving certificate is made again when it lacks a name (a new advertise address): other
      // machines reach the API server and, on VMs, etcd's clients and peers at that address.
      const needs = files === pki.apiserver ? names : files === pki.etcdServer ? etcdNames : [];
      if (!created && existsSync(files.cert) && existsSync(files.key) && coversNames(files.cert, needs)) return;
      await issue(pki.ca, files, req);
    }),
  );
  const token = createToken(pki.tokens, o.tokenTtlSeconds);
  return { pki, token, caCertHash: caCertHash(readFileSync(pki.ca.cert)), created };
}

/** Whether a serving certificate already names every address (a new advertise address means a new one). */
function coversNames(certFile: string, names: string[]): boolean {
  const alt = new X509Certificate(readFileSync(certFile)).subjectAltName ?? "";
  const have = new Set(alt.split(", ").map((e) => e.replace(/^IP Address:/, "").replace(/^DNS:/, "")));
  return names.every((n) => have.has(n));
}
