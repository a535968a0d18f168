// The cluster's PKI, made by `mkctl cluster init`: a CA, serving certificates for the API server and
// etcd, client certificates for mkctl (admin), the control-plane components, the API server's calls
// to etcd and to kubelets, and bootstrap tokens for `mkctl cluster join`. Node has no API to issue
// X.509 certificates, so this shells out to openssl (argument arrays only). Keys are EC P-256:
// generating one takes milliseconds where RSA-2048 takes ~100 ms.
import { execFile } from "node:child_process";
import { createHash, randomBytes, randomInt, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

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

async function openssl(args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await run("openssl", args, { cwd, maxBuffer: 1 << 20 });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new Error("openssl is not installed (apt-get install -y openssl)", { cause: err });
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
const DAYS = "3650";

/** A random serial (openssl's -CAcreateserial would write a .srl file beside the CA). */
const serial = () => `0x${randomBytes(16).toString("hex").replace(/^./, "1")}`;

export async function createCa(ca: CertFiles, commonName = "mk-ca"): Promise<void> {
  await openssl(["req", "-x509", ...EC_KEY, "-keyout", ca.key, "-out", ca.cert, "-subj", `/CN=${commonName}`, "-days", DAYS, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"]);
  chmodSync(ca.key, 0o600);
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
  const dir = join(out.cert, "..");
  const csr = `${out.cert}.csr`;
  const ext = `${out.cert}.ext`;
  await openssl(["req", "-new", ...EC_KEY, "-keyout", out.key, "-out", csr, "-subj", req.subject]);
  chmodSync(out.key, 0o600);
  const eku = req.usage === "client" ? "clientAuth" : req.usage === "server" ? "serverAuth" : "serverAuth,clientAuth";
  const lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", `extendedKeyUsage=${eku}`];
  if (req.sans?.length) lines.push(`subjectAltName=${req.sans.join(",")}`);
  writeFileSync(ext, `${lines.join("\n")}\n`);
  try {
    await openssl(["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial", serial(), "-days", DAYS, "-extfile", ext, "-out", out.cert], dir);
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
}

/** A new key (written to keyFile, 0600) and a certificate signing request for it (PEM). */
export async function newKeyAndCsr(keyFile: string, subject: string): Promise<string> {
  const csr = await openssl(["req", "-new", ...EC_KEY, "-keyout", keyFile, "-subj", subject]);
  chmodSync(keyFile, 0o600);
  return csr;
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
      if (!created && existsSync(files.cert) && existsSync(files.key) && (files !== pki.apiserver || coversNames(files.cert, names)) && (files !== pki.etcdServer || coversNames(files.cert, etcdNames))) return;
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
