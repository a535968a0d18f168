// The cluster's topology as data: which members run, where, and with which flags of their own. One
// assembler (components.ts) turns it into the supervisor's component specs, so another shape of
// cluster (several etcd members or API servers, more flags for every controller manager) is a change
// to this file's data, not to the assembler.
//
// Two flavours, each with one control-plane member per role or, with `--ha`, several:
//   local  every process on the host; node i is its own loopback address 127.0.0.(i+1)
//   lab    (`up --isolated`) the control plane on the lab bridge's host address (etcd stays on
//          loopback: the nodes reach the API server, never etcd); each node a network namespace
//          with its own dockerd (lab/layout.ts)
//
// `--ha` ports, beside the single control plane's (settings.ts portsFrom: API port + 0…6):
//   etcd-i (i = 1…3)          client etcdPort + 3(i-1), peer + 1, plain-HTTP /health + 2
//   apiserver-i (i = 1, 2)    gRPC API port + 7 + 2(i-1), /readyz + 8 + 2(i-1)
//   apiserver-lb              the cluster's one address, API port (its /healthz on the API HTTP port)
//   scheduler-1, -2           the scheduler HTTP port, API port + 11
//   controller-manager-1, -2  the controller HTTP port, API port + 12
// `--balancer` (one member per role): the API server on apiserver-1's ports, the balancer as above.
import { LAB_CONTROLLER_ARGS, LAB_IMAGES, LAB_LEASE_RENEW_SECONDS, type LabMember, type LabNode, labLayout } from "./lab/layout.js";
import type { ClusterPaths } from "./paths.js";
import { registryAddress } from "./registry.js";
import { DEFAULT_CLUSTER_DOMAIN, kubeDnsClusterIp } from "@mk/proto";
import { type ClusterSettings, DEFAULT_CLUSTER_CIDR, DEFAULT_SERVICE_CLUSTER_IP_RANGE, FAST_FAILOVER_LEASE_SECONDS } from "./settings.js";

export interface EtcdMember {
  /** The supervisor's name for it (`cluster status`, logs/<component>.log). */
  component: string;
  /** Its name in the etcd cluster (--name, --initial-cluster). */
  name: string;
  host: string;
  clientPort: number;
  peerPort: number;
  /** host:port of plain-HTTP /health and metrics, for a member whose client port requires a certificate. */
  metricsAddress: string;
  /** Under the cluster's data directory. */
  dataDir: string;
  /** An HA lab's member: the network namespace it runs in, at its own address on the lab bridge. */
  lab?: LabMember;
}

export interface ApiServerMember {
  component: string;
  host: string;
  /** gRPC (the API). */
  port: number;
  /** Plain-HTTP /readyz and /metrics. */
  httpPort: number;
  /** Flags of this member beyond those of its role. */
  args: string[];
}

/** A client of the API with a health endpoint of its own: a scheduler or a controller manager. */
export interface ApiClientMember {
  component: string;
  /** host:port of its /healthz. */
  listen: string;
  /** Flags of this member beyond those of its role. */
  args: string[];
}

export interface NodeMember {
  /** The node's name, which is also its kubelet's component name. */
  name: string;
  ip: string;
  kubeletPort: number;
  kubeletHealthzPort: number;
  /** Kubelet flags of this node beyond those every kubelet gets. */
  kubeletArgs: string[];
  /** A lab node: the namespace, dockerd and addresses it runs with, and the images it is given. */
  lab?: { node: LabNode; images: string[] };
}

/** The TCP balancer in front of several API servers (balancer.ts): the cluster's one address. */
export interface BalancerMember {
  component: string;
  /** host:port clients dial: the topology's server. */
  listen: string;
  /** host:port of its plain-HTTP /healthz. */
  healthListen: string;
}

export interface Topology {
  flavour: "local" | "lab";
  etcd: EtcdMember[];
  apiServers: ApiServerMember[];
  /** host:port every client of the API dials. */
  server: string;
  /** With several API servers: what listens at `server` and passes each connection to a healthy one. */
  balancer?: BalancerMember;
  schedulers: ApiClientMember[];
  controllerManagers: ApiClientMember[];
  /** The image registry's HOST:PORT (it runs when docker-registry is installed), started before the nodes. */
  registry: string;
  nodes: NodeMember[];
}

export function clusterTopology(s: ClusterSettings, paths: ClusterPaths): Topology {
  const lab = s.isolated ? labLayout(s, paths) : undefined;
  const kubelet = { kubeletPort: s.kubeletPort, kubeletHealthzPort: s.kubeletHealthzPort };
  // Every range is a flag: the pods' (controller manager and kubelets) and the Services' (API server).
  const clusterCidr = ["--cluster-cidr", s.clusterCidr ?? DEFAULT_CLUSTER_CIDR];
  const serviceRange = s.serviceClusterIpRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE;
  // Cluster DNS: every API server answers on the cluster's DNS port at its own address; the kubelets
  // point pods at the kube-dns Service's ClusterIP (the range's tenth address).
  const dnsServer = s.dnsPort ? ["--dns-port", String(s.dnsPort), "--cluster-domain", DEFAULT_CLUSTER_DOMAIN, ...(s.dnsUpstream ? ["--dns-upstream", s.dnsUpstream] : [])] : [];
  const podDns = s.dnsPort ? ["--cluster-dns", kubeDnsClusterIp(serviceRange), "--cluster-domain", DEFAULT_CLUSTER_DOMAIN] : [];
  // Node i (from 1) stands for a host of its own: its own loopback address, or its lab namespace.
  const nodes: NodeMember[] = lab
    ? lab.nodes.map((node) => ({
        name: node.name,
        ip: node.ip,
        ...kubelet,
        kubeletArgs: ["--lease-renew", String(LAB_LEASE_RENEW_SECONDS), "--docker-socket", node.dockerSocket, ...clusterCidr, ...podDns],
        lab: { node, images: s.labImages ?? LAB_IMAGES },
      }))
    : Array.from({ length: s.nodes }, (_, i) => ({ name: `${s.nodePrefix}-${i + 1}`, ip: `127.0.0.${i + 2}`, ...kubelet, kubeletArgs: [...clusterCidr, ...podDns] }));
  const serviceRangeArgs = ["--service-cluster-ip-range", serviceRange];
  const controllerArgs = [...clusterCidr, ...(lab ? LAB_CONTROLLER_ARGS : [])];
  const base = { flavour: lab ? ("lab" as const) : ("local" as const), server: `${s.host}:${s.apiPort}`, registry: registryAddress(s), nodes };
  // etcd stays on loopback in the lab: the nodes reach the API server, never etcd.
  const etcdHost = lab ? "127.0.0.1" : s.host;
  // Lab and HA: a killed leader is replaced within 5 s (settings.ts); elsewhere Kubernetes' leases.
  const leases = lab || s.ha ? ["--lease-duration", String(FAST_FAILOVER_LEASE_SECONDS)] : [];
  if (s.ha) {
    return {
      ...base,
      etcd: [1, 2, 3].map((i) => {
        const client = s.etcdPort + 3 * (i - 1);
        // In the lab each member has a namespace and an address of its own, so its network can be cut.
        const member = lab?.etcdMembers[i - 1];
        const host = member ? member.ip : etcdHost;
        const metricsHost = member ? member.ip : "127.0.0.1";
        return { component: `etcd-${i}`, name: `mk-${i}`, host, clientPort: client, peerPort: client + 1, metricsAddress: `${metricsHost}:${client + 2}`, dataDir: `etcd-${i}`, ...(member ? { lab: member } : {}) };
      }),
      // A call stuck behind a killed etcd leader returns after 4 s (not 10) for the client to retry.
      // Cluster DNS on the first API server only: the two share an address, and kube-dns's
      // EndpointSlice has one port list for all its endpoints.
      apiServers: [1, 2].map((i) => ({ component: `apiserver-${i}`, host: s.host, port: s.apiPort + 5 + 2 * i, httpPort: s.apiPort + 6 + 2 * i, args: [...serviceRangeArgs, "--etcd-request-timeout", "4s", ...(i === 1 ? dnsServer : [])] })),
      balancer: { component: "apiserver-lb", listen: `${s.host}:${s.apiPort}`, healthListen: `${s.host}:${s.apiHttpPort}` },
      schedulers: [
        { component: "scheduler-1", listen: `${s.host}:${s.schedulerHttpPort}`, args: [...leases] },
        { component: "scheduler-2", listen: `${s.host}:${s.apiPort + 11}`, args: [...leases] },
      ],
      controllerManagers: [
        { component: "controller-manager-1", listen: `${s.host}:${s.controllerHttpPort}`, args: [...controllerArgs, ...leases] },
        { component: "controller-manager-2", listen: `${s.host}:${s.apiPort + 12}`, args: [...controllerArgs, ...leases] },
      ],
    };
  }
  return {
    ...base,
    etcd: [{ component: "etcd", name: "mk", host: etcdHost, clientPort: s.etcdPort, peerPort: s.etcdPort + 1, metricsAddress: `127.0.0.1:${s.etcdPort + 2}`, dataDir: "etcd" }],
    // `up --balancer`: the API server moves to apiserver-1's ports of `--ha`, behind the balancer.
    apiServers: [{ component: "apiserver", host: s.host, port: s.balancer ? s.apiPort + 7 : s.apiPort, httpPort: s.balancer ? s.apiPort + 8 : s.apiHttpPort, args: [...serviceRangeArgs, ...dnsServer] }],
    ...(s.balancer ? { balancer: { component: "apiserver-lb", listen: `${s.host}:${s.apiPort}`, healthListen: `${s.host}:${s.apiHttpPort}` } } : {}),
    schedulers: [{ component: "scheduler", listen: `${s.host}:${s.schedulerHttpPort}`, args: [...leases] }],
    controllerManagers: [{ component: "controller-manager", listen: `${s.host}:${s.controllerHttpPort}`, args: [...controllerArgs, ...leases] }],
  };
}
