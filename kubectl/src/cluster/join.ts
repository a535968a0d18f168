// `mkctl cluster join SERVER --token T --ca-cert-hash sha256:H --node-ip IP`: kubeadm's discovery
// and TLS bootstrap, simplified. The CA is fetched without trusting anyone and accepted only if
// the hash of its public key is the one given; the token and a CSR are then sent over TLS checked
// against that CA, for the kubelet's certificate (CN system:node:<name>). The node IP must be an
// address of this host: VirtualBox's NAT address (10.0.2.15 on every VM) is the classic mistake.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { BlockList, isIPv4 } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { BootstrapClient, type ClusterInfo, type JoinResponse } from "@mk/proto";
import { fromServiceError } from "@mk/proto/client";
import { caCertHash, newKeyAndCsr } from "./pki.js";

export interface JoinOptions {
  server: string;
  token: string;
  caCertHash: string;
  nodeIp: string;
  nodeName: string;
  /** Where the kubelet's ca.crt, kubelet.crt and kubelet.key go. */
  dir: string;
  /** The host's addresses (a seam for tests); default os.networkInterfaces(). */
  hostAddresses?: string[];
  timeoutMs?: number;
}

export interface KubeletCredentials {
  ca: string;
  cert: string;
  key: string;
}

export function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
}

/** Whether ip is this host's: one of its addresses, or inside a loopback subnet (127.0.0.2 on lo's 127.0.0.1/8). */
export function isHostAddress(ip: string): boolean {
  const family = isIPv4(ip) ? "ipv4" : "ipv6";
  for (const a of Object.values(networkInterfaces()).flatMap((l) => l ?? [])) {
    if (a.address === ip) return true;
    if (!a.internal || !a.cidr || a.family.toLowerCase() !== family) continue;
    const list = new BlockList();
    list.addSubnet(a.address, Number(a.cidr.split("/")[1]), family);
    if (list.check(ip, family)) return true;
  }
  return false;
}

function call<R>(fn: (cb: (err: ServiceError | null, res: R) => void) => void): Promise<R> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(fromServiceError(err)) : resolve(res))));
}

export async function joinCluster(o: JoinOptions): Promise<KubeletCredentials> {
  const addrs = o.hostAddresses ?? hostAddresses();
  if (!(o.hostAddresses ? addrs.includes(o.nodeIp) : isHostAddress(o.nodeIp))) {
    throw new Error(`--node-ip ${o.nodeIp} is not an address of this host (it has ${addrs.join(", ")}); give the address the control plane reaches this node at`);
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(o.caCertHash)) throw new Error(`--ca-cert-hash ${JSON.stringify(o.caCertHash)}: want sha256:<64 hex digits>, as \`mkctl cluster init\` prints it`);
  const deadline = () => new Date(Date.now() + (o.timeoutMs ?? 10_000));

  // Discovery: nothing is trusted yet, so the server's certificate is not checked; the hash is.
  const discovery = new BootstrapClient(o.server, credentials.createSsl(null, null, null, { rejectUnauthorized: false }));
  let info: ClusterInfo;
  try {
    info = await call((cb) => discovery.getClusterInfo({}, new Metadata(), { deadline: deadline() }, cb));
  } finally {
    discovery.close();
  }
  const got = caCertHash(info.caCertificate);
  if (got !== o.caCertHash) throw new Error(`the cluster CA at ${o.server} has hash ${got}, not ${o.caCertHash}: refusing to trust it`);

  // TLS bootstrap, now checking the server against the CA.
  // The first directory made here, if any: a refused join removes it, so it leaves nothing behind.
  const made = mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const files: KubeletCredentials = { ca: join(o.dir, "ca.crt"), cert: join(o.dir, "kubelet.crt"), key: join(o.dir, "kubelet.key") };
  const csr = await newKeyAndCsr(files.key, `/CN=system:node:${o.nodeName}`);
  const client = new BootstrapClient(o.server, credentials.createSsl(Buffer.from(info.caCertificate)));
  let res: JoinResponse;
  try {
    res = await call((cb) => client.join({ token: o.token, nodeName: o.nodeName, nodeIp: o.nodeIp, certificateRequest: csr }, new Metadata(), { deadline: deadline() }, cb));
  } catch (err) {
    rmSync(files.key, { force: true });
    if (made) rmSync(made, { recursive: true, force: true });
    throw err;
  } finally {
    client.close();
  }
  writeFileSync(files.ca, info.caCertificate);
  writeFileSync(files.cert, res.certificate);
  chmodSync(files.key, 0o600);
  return files;
}

/** Whether credentials from an earlier join are present (a rejoin is not needed). */
export function joined(dir: string): KubeletCredentials | undefined {
  const files = { ca: join(dir, "ca.crt"), cert: join(dir, "kubelet.crt"), key: join(dir, "kubelet.key") };
  try {
    for (const f of Object.values(files)) readFileSync(f);
    return files;
  } catch {
    return undefined;
  }
}
