// The processes of a local cluster, in start order, each with how to run it and how to tell it is
// healthy. mkctl spawns the component binaries; it never imports them.
import { existsSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { kubeletComponent } from "./kubelet-spec.js";
import { labNodeComponents } from "./lab/components.js";
import { LAB_CONTROLLER_ARGS } from "./lab/layout.js";
import type { ClusterPaths } from "./paths.js";
import { registryComponent } from "./registry.js";
import { secureComponents } from "./secure.js";

export interface ClusterSettings {
  etcdPort: number;
  apiPort: number;
  apiHttpPort: number;
  schedulerHttpPort: number;
  controllerHttpPort: number;
  kubeletPort: number;
  kubeletHealthzPort: number;
  /** The image registry's port (registry.ts); absent in settings saved before it existed: the API port + 6. */
  registryPort?: number;
  /** Address mkctl and the components use to reach the API server. */
  host: string;
  /** How many kubelets; node i (from 1) is `${nodePrefix}-i` on 127.0.0.(i+1). */
  nodes: number;
  nodePrefix: string;
  /**
   * Lab mode (`up --isolated`): each node is a network namespace with its own dockerd, on a bridge
   * whose host address is `host`; see lab/layout.ts.
   */
  isolated?: boolean;
  /** The lab's number on this host (10.213.N.0/24), chosen at the first `up --isolated`. */
  labNet?: number;
  /** Images copied from the host engine into every lab node (default lab/layout.ts LAB_IMAGES). */
  labImages?: string[];
  /** The pods' range (controller manager and kubelets' --cluster-cidr): a podCIDR per node comes from it. */
  clusterCidr?: string;
  /** The API server's --service-cluster-ip-range (for Services' ClusterIPs). */
  serviceClusterIpRange?: string;
  /** Mutual TLS everywhere, local cluster and lab alike (the default; `up --insecure` turns it off): see secure.ts. */
  tls?: boolean;
}

export const DEFAULT_SETTINGS: ClusterSettings = {
  // Not 2379: a distribution's own etcd service may already listen there.
  etcdPort: 12379,
  apiPort: 6443,
  apiHttpPort: 6444,
  schedulerHttpPort: 10251,
  controllerHttpPort: 10252,
  kubeletPort: 10250,
  kubeletHealthzPort: 10248,
  registryPort: 6449,
  host: "127.0.0.1",
  nodes: 2,
  nodePrefix: "node",
  clusterCidr: "10.244.0.0/16",
  serviceClusterIpRange: "10.96.0.0/12",
  tls: true,
};

/** The cluster id the kubelets label with and name their pod network after: their --server (kubelet's default --cluster-id). */
export function clusterIdOf(s: ClusterSettings): string {
  return `${s.host}:${s.apiPort}`.toLowerCase();
}

/** Every port of a cluster derived from its API port, so that several clusters fit on one host. */
export function portsFrom(apiPort: number): Partial<ClusterSettings> {
  return {
    apiPort,
    apiHttpPort: apiPort + 1,
    schedulerHttpPort: apiPort + 2,
    controllerHttpPort: apiPort + 3,
    kubeletPort: apiPort + 4,
    kubeletHealthzPort: apiPort + 5,
    registryPort: apiPort + 6,
  };
}

/** Node i (from 1): its name and its own loopback address, standing for a host of its own. */
export function nodeOf(s: ClusterSettings, i: number): { name: string; ip: string } {
  return { name: `${s.nodePrefix}-${i}`, ip: `127.0.0.${i + 1}` };
}

export interface ComponentSpec {
  name: string;
  command: string;
  args: string[];
  /** The address it serves, for `cluster status`. */
  address: string;
  /** A URL answering 200 once the component is ready. */
  healthUrl: string;
  logFile: string;
  /** Lab nodes: the network namespace it runs in (its address is not the host's). */
  netns?: string;
  /** Runs before every start; a failure counts as a failed start (restarted with back-off). */
  prepare?: (signal: AbortSignal) => Promise<void>;
}

/** Finds a component's entry point: the workspace build beside mkctl, else `mk-NAME` on PATH. */
/**
 * Node's own flags per component. The API server allocates a short-lived object graph per request: an
 * 8 MB young-generation semi-space (V8's default is 16 MB on 64-bit) keeps each scavenge short and the
 * heap small — steady 500 creates/s p99 42 ms instead of 83–88 ms, the same sustained creates/s, and
 * less RSS (BENCHMARKS.md, API section). deploy/vm/systemd/mk-apiserver.service sets the same.
 */
export const NODE_FLAGS: Readonly<Record<string, readonly string[]>> = { apiserver: ["--max-semi-space-size=8"] };

export function resolveComponent(name: string): { command: string; args: string[] } | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  // kubectl/dist/cluster/components.js → <repo>/<name>/dist/main.js
  const local = resolve(here, "..", "..", "..", name, "dist", "main.js");
  if (existsSync(local)) return { command: process.execPath, args: [...(NODE_FLAGS[name] ?? []), local] };
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const bin = join(dir, `mk-${name}`);
    if (dir && existsSync(bin)) return { command: bin, args: [] };
  }
  return undefined;
}

export function clusterComponents(s: ClusterSettings, paths: ClusterPaths): ComponentSpec[] {
  // A lab's nodes reach the API server on the bridge, never etcd: etcd stays on loopback.
  const etcdHost = s.isolated ? "127.0.0.1" : s.host;
  const etcdUrl = `http://${etcdHost}:${s.etcdPort}`;
  const specs: ComponentSpec[] = [
    {
      name: "etcd",
      command: "etcd",
      args: [
        "--name",
        "mk",
        "--data-dir",
        join(paths.data, "etcd"),
        "--listen-client-urls",
        etcdUrl,
        "--advertise-client-urls",
        etcdUrl,
        "--listen-peer-urls",
        `http://${etcdHost}:${s.etcdPort + 1}`,
        "--initial-advertise-peer-urls",
        `http://${etcdHost}:${s.etcdPort + 1}`,
        "--initial-cluster",
        `mk=http://${etcdHost}:${s.etcdPort + 1}`,
        "--quota-backend-bytes",
        String(2 * 1024 * 1024 * 1024),
      ],
      address: etcdUrl,
      healthUrl: `${etcdUrl}/health`,
      logFile: join(paths.logs, "etcd.log"),
    },
  ];
  const api = resolveComponent("apiserver");
  if (api) {
    specs.push({
      name: "apiserver",
      command: api.command,
      args: [
        ...api.args,
        "--etcd-servers",
        etcdUrl,
        "--listen",
        `${s.host}:${s.apiPort}`,
        "--advertise-address",
        s.host,
        "--http-listen",
        `${s.host}:${s.apiHttpPort}`,
        "--service-cluster-ip-range",
        s.serviceClusterIpRange ?? DEFAULT_SETTINGS.serviceClusterIpRange ?? "",
      ],
      address: `${s.host}:${s.apiPort}`,
      healthUrl: `http://${s.host}:${s.apiHttpPort}/readyz`,
      logFile: join(paths.logs, "apiserver.log"),
    });
  }
  const server = `${s.host}:${s.apiPort}`;
  const scheduler = resolveComponent("scheduler");
  if (scheduler) {
    const listen = `${s.host}:${s.schedulerHttpPort}`;
    specs.push({
      name: "scheduler",
      command: scheduler.command,
      args: [...scheduler.args, "--server", server, "--leader-elect", "--http-listen", listen],
      address: listen,
      healthUrl: `http://${listen}/healthz`,
      logFile: join(paths.logs, "scheduler.log"),
    });
  }
  const controller = resolveComponent("controller");
  if (controller) {
    const listen = `${s.host}:${s.controllerHttpPort}`;
    specs.push({
      name: "controller-manager",
      command: controller.command,
      args: [...controller.args, "--server", server, "--http-listen", listen, "--cluster-cidr", s.clusterCidr ?? DEFAULT_SETTINGS.clusterCidr ?? "", ...(s.isolated ? LAB_CONTROLLER_ARGS : [])],
      address: listen,
      healthUrl: `http://${listen}/healthz`,
      logFile: join(paths.logs, "controller-manager.log"),
    });
  }
  // Before the nodes, which pull from it.
  const registry = registryComponent(s, paths);
  if (registry) specs.push(registry);
  const kubelet = resolveComponent("kubelet");
  if (kubelet && s.isolated) {
    specs.push(...labNodeComponents(s, paths, server, kubelet));
  } else if (kubelet) {
    for (let i = 1; i <= s.nodes; i++) specs.push(kubeletComponent(s, paths, server, kubelet, nodeOf(s, i)));
  }
  return s.tls ? secureComponents(specs, s, paths) : specs;
}
