// mk-kubelet's flags, parsed and validated into KubeletOptions (no side effects beyond reading the host).
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { DEFAULT_CLUSTER_DOMAIN, isQuantity, parseCidr, parseIPv4, SYSTEMD_RESOLVED_CONF } from "@mk/proto";
import type { KubeletOptions } from "./kubelet.js";
import { resolveNodeIp } from "./node/host.js";
import { clusterIdOf } from "./runtime/names.js";
import { parseLabels, parseTaints } from "./node/registration.js";

export const USAGE = `usage: mk-kubelet [flags]
  --server HOST:PORT            mk-apiserver (default 127.0.0.1:6443)
  --node-name NAME              this node's name (default: the hostname)
  --cluster-id ID               labels every container and volume, so that clusters sharing a Docker
                                engine never touch each other's (default: the --server address)
  --node-ip IP                  this node's address; required when the host has several
  --port N                      the node's gRPC server for logs and exec (default 10250; 0 picks one)
  --healthz-port N              /healthz and /metrics on the node IP (default 10248; -1: off)
  --cluster-cidr CIDR           the cluster's pod range (default 10.244.0.0/16): traffic inside it keeps
                                its source address, traffic leaving it is masqueraded
  --pod-cidr CIDR               this node's pod range when its Node has no podCIDR (standalone mode;
                                normally the controller manager's node IPAM assigns one)
  --proxy-mode MODE             iptables (default): the node proxy writes the Services' rules (one
                                kubelet per network namespace at a time); none: no proxy
  --proxy-min-sync-period MS    at most one rules sync per this many milliseconds (default 1000)
  --proxy-sync-period MS        a full rules sync at least this often (default 30000)
  --cluster-dns IP,...          the cluster DNS Service's address (kube-dns's ClusterIP), the nameserver
                                of dnsPolicy ClusterFirst pods (none: they fall back to Default)
  --cluster-domain DOMAIN       the cluster's DNS domain, for pods' search list (default cluster.local)
  --resolv-conf FILE            the node's resolvers, for dnsPolicy Default (default /etc/resolv.conf, or
                                ${SYSTEMD_RESOLVED_CONF} when that names systemd-resolved's 127.0.0.53)
  --pod-infra-image IMAGE       the pause image holding each pod's network (default mk/pause:1)
  --lease-renew SECONDS         node lease renewal period (default 10)
  --node-labels k=v,...         extra labels of the Node
  --register-with-taints k=v:Effect,...   taints the Node is created with
  --cpu Q / --memory Q / --pods N         capacity instead of the host's
  --allow-privileged            allow privileged containers on this node
  --root-dir DIR                the kubelet's files: pods' configMap and secret volumes
                                (default /var/lib/mk/kubelet/<cluster-id>/<node-name>)
  --docker-socket PATH          Docker's socket (default: DOCKER_HOST or /var/run/docker.sock)
  --tls-ca/--tls-cert/--tls-key FILE   mutual TLS: to the API server, and for the node's gRPC server
                                (the certificate \`mkctl cluster join\` obtained)
  --log-level LEVEL             trace, debug, info (default), warn, error`;

export interface KubeletFlags {
  server: string;
  dockerSocket: string | undefined;
  logLevel: string;
  options: KubeletOptions;
  help: boolean;
  /** Mutual TLS to the API server (and for the node's own server, in options.tls). */
  tls: { ca: Buffer; cert: Buffer; key: Buffer } | undefined;
  /** --cluster-cidr, validated. */
  clusterCidr: string;
  proxy: { mode: "iptables" | "none"; minSyncMs: number; syncPeriodMs: number };
}

function cidrFlag(name: string, s: string): string {
  try {
    parseCidr(s);
  } catch (err) {
    throw new Error(`--${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return s;
}

/** --cluster-dns: comma-separated IPv4 addresses. */
function ipList(name: string, s: string): string[] {
  const ips = s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");
  for (const ip of ips) {
    try {
      parseIPv4(ip);
    } catch (err) {
      throw new Error(`--${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return ips;
}

function domainFlag(s: string): string {
  const d = s.replace(/\.$/, "");
  if (d !== "" && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(d)) throw new Error(`--cluster-domain "${s}": want a DNS name such as cluster.local`);
  return d;
}

function int(name: string, s: string, min: number): number {
  if (!/^-?\d+$/.test(s) || Number(s) < min) throw new Error(`--${name} ${JSON.stringify(s)}: want an integer ≥ ${min}`);
  return Number(s);
}

export function parseFlags(args: string[]): KubeletFlags {
  const { values: v } = parseArgs({
    args,
    options: {
      server: { type: "string", default: "127.0.0.1:6443" },
      "node-name": { type: "string" },
      "cluster-id": { type: "string" },
      "node-ip": { type: "string" },
      port: { type: "string", default: "10250" },
      "healthz-port": { type: "string", default: "10248" },
      "pod-infra-image": { type: "string", default: "mk/pause:1" },
      "cluster-dns": { type: "string", default: "" },
      "cluster-domain": { type: "string", default: DEFAULT_CLUSTER_DOMAIN },
      "resolv-conf": { type: "string" },
      "cluster-cidr": { type: "string", default: "10.244.0.0/16" },
      "pod-cidr": { type: "string" },
      "proxy-mode": { type: "string", default: "iptables" },
      "proxy-min-sync-period": { type: "string", default: "1000" },
      "proxy-sync-period": { type: "string", default: "30000" },
      "lease-renew": { type: "string", default: "10" },
      "node-labels": { type: "string", default: "" },
      "register-with-taints": { type: "string", default: "" },
      cpu: { type: "string" },
      memory: { type: "string" },
      pods: { type: "string" },
      "allow-privileged": { type: "boolean", default: false },
      "docker-socket": { type: "string" },
      "root-dir": { type: "string" },
      "log-level": { type: "string", default: "info" },
      "tls-ca": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const capacity: KubeletOptions["capacity"] = {};
  for (const k of ["cpu", "memory", "pods"] as const) {
    const q = v[k];
    if (q === undefined) continue;
    if (!isQuantity(q)) throw new Error(`--${k} ${JSON.stringify(q)} is not a quantity`);
    capacity[k] = q;
  }
  const nodeName = (v["node-name"] ?? hostname()).toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(nodeName)) throw new Error(`--node-name ${JSON.stringify(nodeName)} is not a DNS subdomain`);
  const clusterId = v["cluster-id"] ?? clusterIdOf(v.server);
  if (clusterId === "") throw new Error("--cluster-id must not be empty");
  const tlsFiles = [v["tls-ca"], v["tls-cert"], v["tls-key"]];
  if (tlsFiles.some((f) => f) && !tlsFiles.every((f) => f)) throw new Error("--tls-ca, --tls-cert and --tls-key go together");
  const tls = v["tls-ca"] && v["tls-cert"] && v["tls-key"] ? { ca: readFileSync(v["tls-ca"]), cert: readFileSync(v["tls-cert"]), key: readFileSync(v["tls-key"]) } : undefined;
  const mode = v["proxy-mode"];
  if (mode !== "iptables" && mode !== "none") throw new Error(`--proxy-mode ${JSON.stringify(mode)}: want iptables or none`);
  const proxy = { mode: mode as "iptables" | "none", minSyncMs: int("proxy-min-sync-period", v["proxy-min-sync-period"], 0), syncPeriodMs: int("proxy-sync-period", v["proxy-sync-period"], 1000) };
  return {
    tls,
    proxy,
    clusterCidr: cidrFlag("cluster-cidr", v["cluster-cidr"]),
    server: v.server,
    dockerSocket: v["docker-socket"],
    logLevel: v["log-level"],
    help: v.help,
    options: {
      nodeName,
      clusterId,
      nodeIp: v.help ? "" : resolveNodeIp(v["node-ip"]),
      port: int("port", v.port, 0),
      healthzPort: int("healthz-port", v["healthz-port"], -1),
      podInfraImage: v["pod-infra-image"],
      allowPrivileged: v["allow-privileged"],
      leaseRenewMs: int("lease-renew", v["lease-renew"], 1) * 1000,
      capacity,
      labels: parseLabels(v["node-labels"]),
      taints: parseTaints(v["register-with-taints"]),
      rootDir: v["root-dir"],
      tls,
      podCidr: v["pod-cidr"] === undefined ? undefined : cidrFlag("pod-cidr", v["pod-cidr"]),
      dns: {
        clusterDns: ipList("cluster-dns", v["cluster-dns"]),
        clusterDomain: domainFlag(v["cluster-domain"]),
        ...(v["resolv-conf"] !== undefined ? { resolvConf: v["resolv-conf"] } : {}),
      },
    },
  };
}
