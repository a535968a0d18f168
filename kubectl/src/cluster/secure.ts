// Mutual TLS for the local cluster and the lab (the default of `mkctl cluster up`): `init` made the
// PKI once; etcd requires the API server's client certificate, the API server requires everyone's,
// and each kubelet joins through `mkctl cluster join`'s path (token + CA hash) before its first
// start. A lab node joins from inside its network namespace, as a separate host would.
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClusterSettings, ComponentSpec } from "./components.js";
import { joinCluster, joined } from "./join.js";
import type { ClusterPaths } from "./paths.js";
import { initPki, pkiPaths } from "./pki.js";

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
  const out = await initPki({ dir: paths.pki, advertiseAddress: s.host, tokenTtlSeconds: 3600 });
  writeFileSync(joinFile(paths), JSON.stringify({ token: out.token, caCertHash: out.caCertHash }), { mode: 0o600 });
}

export function secureComponents(specs: ComponentSpec[], s: ClusterSettings, paths: ClusterPaths): ComponentSpec[] {
  const pki = pkiPaths(paths.pki);
  const server = `${s.host}:${s.apiPort}`;
  const clientTls = (c: { cert: string; key: string }) => ["--tls-ca", pki.ca.cert, "--tls-cert", c.cert, "--tls-key", c.key];
  return specs.map((spec) => {
    const args = [...spec.args];
    switch (spec.name) {
      case "etcd": {
        const swap = (u: string) => u.replace(/^http:\/\/([^:]+):(\d+)$/, (_m, h: string, p: string) => (Number(p) === s.etcdPort ? `https://${h}:${p}` : `http://${h}:${p}`));
        for (let i = 0; i < args.length; i++) if (args[i - 1] === "--listen-client-urls" || args[i - 1] === "--advertise-client-urls") args[i] = swap(args[i] ?? "");
        const metrics = `http://127.0.0.1:${s.etcdPort + 2}`;
        args.push("--cert-file", pki.etcdServer.cert, "--key-file", pki.etcdServer.key, "--client-cert-auth", "--trusted-ca-file", pki.ca.cert, "--listen-metrics-urls", metrics);
        return { ...spec, args, address: spec.address.replace(/^http:/, "https:"), healthUrl: `${metrics}/health` };
      }
      case "apiserver": {
        const i = args.indexOf("--etcd-servers");
        if (i >= 0) args[i + 1] = (args[i + 1] ?? "").replace(/^http:/, "https:");
        args.push(
          ...["--tls-cert", pki.apiserver.cert, "--tls-key", pki.apiserver.key, "--client-ca", pki.ca.cert, "--ca-key", pki.ca.key, "--bootstrap-token-file", pki.tokens],
          ...["--etcd-cafile", pki.ca.cert, "--etcd-certfile", pki.etcdClient.cert, "--etcd-keyfile", pki.etcdClient.key],
          ...["--kubelet-client-certificate", pki.apiserverKubeletClient.cert, "--kubelet-client-key", pki.apiserverKubeletClient.key],
        );
        return { ...spec, args };
      }
      case "scheduler":
        return { ...spec, args: [...args, ...clientTls(pki.scheduler)] };
      case "controller-manager":
        return { ...spec, args: [...args, ...clientTls(pki.controllerManager)] };
      default: {
        const name = args[args.indexOf("--node-name") + 1];
        const ip = args[args.indexOf("--node-ip") + 1];
        if (!args.includes("--node-name") || !name || !ip) return spec;
        const dir = join(paths.pki, "kubelets", name);
        const files = { ca: join(dir, "ca.crt"), cert: join(dir, "kubelet.crt"), key: join(dir, "kubelet.key") };
        return {
          ...spec,
          args: [...args, "--tls-ca", files.ca, "--tls-cert", files.cert, "--tls-key", files.key],
          // The same path as `mkctl cluster join`; retried (with back-off) until the API server answers.
          prepare: async (signal) => {
            await spec.prepare?.(signal);
            if (joinedAs(dir, ip)) return;
            const { token, caCertHash } = JSON.parse(readFileSync(joinFile(paths), "utf8")) as { token: string; caCertHash: string };
            const netns = spec.args.find((a) => a.startsWith("--net="))?.slice("--net=".length);
            if (netns) await joinInNamespace(netns, [server, "--token", token, "--ca-cert-hash", caCertHash, "--node-ip", ip, "--node-name", name, "--dir", dir], signal);
            else await joinCluster({ server, token, caCertHash, nodeIp: ip, nodeName: name, dir, timeoutMs: 5_000 });
          },
        };
      }
    }
  });
}
