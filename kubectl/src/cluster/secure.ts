// Mutual TLS for the local cluster and the lab (the default of `mkctl cluster up`): `init` made the
// PKI once; etcd requires the API server's client certificate, the API server requires everyone's,
// and each kubelet joins through `mkctl cluster join`'s path (token + CA hash) before its first
// start. A lab node joins from inside its network namespace, as a separate host would.
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { joinCluster, joined } from "./join.js";
import { labLayout } from "./lab/layout.js";
import type { ClusterPaths } from "./paths.js";
import { type CertFiles, initPki, type Pki } from "./pki.js";
import type { ClusterSettings, ComponentSpec } from "./settings.js";
import type { NodeMember } from "./topology.js";

/** The token and CA hash the local kubelets join with, kept beside the PKI (0600). */
const joinFile = (paths: ClusterPaths) => join(paths.pki, "local-join.json");

/** Whether an earlier join's certificate is there and names the node's IP (a lab renumbered gets a new one). */
function joinedAs(dir: string, ip: string): boolean {
  const files = joined(dir);
  if (!files) return false;
  try {
    return new X509Certificate(readFileSync(files.cert)).checkIP(ip) !== undefined;
  } catch {
    return false; // unreadable or not a certificate: join again
  }
}

/**
 * `mkctl cluster join … --no-start` run inside netns (`nsenter --net`): the node's IP is checked
 * against that namespace's interfaces and the API server is reached over the node's own link.
 */
function joinInNamespace(netnsPath: string, args: string[], signal: AbortSignal): Promise<void> {
  const mkctl = fileURLToPath(new URL("../main.js", import.meta.url));
  return new Promise((resolve, reject) => {
    execFile("nsenter", [`--net=${netnsPath}`, process.execPath, mkctl, "cluster", "join", ...args, "--no-start"], { signal, timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`join from ${netnsPath} failed: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve();
    });
  });
}

/** Runs init (keeping an existing CA) and keeps a fresh token for the local kubelets. */
export async function initLocalPki(s: ClusterSettings, paths: ClusterPaths): Promise<void> {
  // An HA lab's etcd members serve (and talk to their peers) at their own addresses.
  const etcdExtraSans = s.isolated ? labLayout(s, paths).etcdMembers.map((m) => m.ip) : [];
  const out = await initPki({ dir: paths.pki, advertiseAddress: s.host, tokenTtlSeconds: 3600, etcdExtraSans });
  writeFileSync(joinFile(paths), JSON.stringify({ token: out.token, caCertHash: out.caCertHash }), { mode: 0o600 });
}

/** etcd's server side: its certificate, and every client must present one signed by the CA. */
export function etcdServerTlsArgs(pki: Pki): string[] {
  return ["--cert-file", pki.etcdServer.cert, "--key-file", pki.etcdServer.key, "--client-cert-auth", "--trusted-ca-file", pki.ca.cert];
}

/** etcd's peers (several members): the same certificate (server and client usage), peers must present one signed by the CA. */
export function etcdPeerTlsArgs(pki: Pki): string[] {
  return ["--peer-cert-file", pki.etcdServer.cert, "--peer-key-file", pki.etcdServer.key, "--peer-client-cert-auth", "--peer-trusted-ca-file", pki.ca.cert];
}

/** The API server: its serving certificate, the CA it checks clients and signs kubelets' CSRs with, its certificates to etcd and kubelets. */
export function apiserverTlsArgs(pki: Pki): string[] {
  return [
    ...["--tls-cert", pki.apiserver.cert, "--tls-key", pki.apiserver.key, "--client-ca", pki.ca.cert, "--ca-key", pki.ca.key, "--bootstrap-token-file", pki.tokens],
    ...["--etcd-cafile", pki.ca.cert, "--etcd-certfile", pki.etcdClient.cert, "--etcd-keyfile", pki.etcdClient.key],
    ...["--kubelet-client-certificate", pki.apiserverKubeletClient.cert, "--kubelet-client-key", pki.apiserverKubeletClient.key],
  ];
}

/** A client of the API (scheduler, controller manager) with its own certificate. */
export function clientTlsArgs(pki: Pki, client: CertFiles): string[] {
  return ["--tls-ca", pki.ca.cert, "--tls-cert", client.cert, "--tls-key", client.key];
}

/**
 * The kubelet spec with the certificate `mkctl cluster join` gives its node: the same path as a
 * separate host's, taken before its first start and retried (with back-off) until the API server
 * answers. A lab node joins from inside its namespace.
 */
export function withKubeletJoin(spec: ComponentSpec, node: NodeMember, server: string, paths: ClusterPaths): ComponentSpec {
  const { name, ip } = node;
  const dir = join(paths.pki, "kubelets", name);
  const files = { ca: join(dir, "ca.crt"), cert: join(dir, "kubelet.crt"), key: join(dir, "kubelet.key") };
  return {
    ...spec,
    args: [...spec.args, "--tls-ca", files.ca, "--tls-cert", files.cert, "--tls-key", files.key],
    prepare: async (signal) => {
      await spec.prepare?.(signal);
      if (joinedAs(dir, ip)) return;
      const { token, caCertHash } = JSON.parse(readFileSync(joinFile(paths), "utf8")) as { token: string; caCertHash: string };
      const netns = node.lab?.node.netnsPath;
      if (netns) await joinInNamespace(netns, [server, "--token", token, "--ca-cert-hash", caCertHash, "--node-ip", ip, "--node-name", name, "--dir", dir], signal);
      else await joinCluster({ server, token, caCertHash, nodeIp: ip, nodeName: name, dir, timeoutMs: 5_000 });
    },
  };
}
