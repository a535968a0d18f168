// The vocabulary of the cluster tooling: the settings a cluster is started with and the shape of one
// supervised process. Every other file of kubectl/src/cluster may import it; it imports none of them,
// so no import cycle can run through it.

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
  /**
   * The cluster DNS port of the API server (its --dns-port, kube-dns's targetPort), UDP and TCP on
   * the API server's address; a free one is picked at the first `up` and kept (control.ts). Absent
   * (settings saved before cluster DNS): no DNS.
   */
  dnsPort?: number;
  /** The API server's --dns-upstream (IP[:PORT],...); absent: the host's resolvers. */
  dnsUpstream?: string;
  /** Mutual TLS everywhere, local cluster and lab alike (the default; `up --insecure` turns it off): see secure.ts. */
  tls?: boolean;
  /**
   * `up --ha`: three etcd members, two API servers behind the cluster's one address (a TCP balancer,
   * balancer.ts), two schedulers and two controller managers; see topology.ts for their ports.
   */
  ha?: boolean;
  /**
   * `up --balancer`: the TCP balancer at the cluster's address even with one API server (kubeadm's
   * --control-plane-endpoint), so that `cluster join --control-plane` can put more behind it.
   */
  balancer?: boolean;
  /** This directory runs one joined control-plane member (`cluster join --control-plane`), not a cluster. */
  controlPlane?: JoinedControlPlane;
}

/** What a control-plane member joined by `cluster join --control-plane` runs (control-plane-join.ts). */
export interface JoinedControlPlane {
  /** Its etcd member's name; its components are etcd-NAME and apiserver-NAME. */
  name: string;
  /** The cluster directory it joined (its CA, its bootstrap tokens, its balancer's backends). */
  clusterDir: string;
  /** etcd's --initial-cluster as MemberAdd answered it (every member, this one included). */
  initialCluster: string;
  /** The peers' scheme, the cluster's: https with peer certificates, or plain http on loopback. */
  peerScheme: "http" | "https";
  /** Every member's client URL, for the API server's --etcd-servers. */
  etcdServers: string[];
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

export const DEFAULT_CLUSTER_CIDR = "10.244.0.0/16";
export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/12";

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

/**
 * Leases short enough that a killed leader is replaced within 5 s (leader.ts: 4 s lease, 2.7 s
 * renew deadline, 0.5 s retry), for the lab and `--ha`; without them Kubernetes' 15/10/2 s stay.
 */
export const FAST_FAILOVER_LEASE_SECONDS = 4;

/** One process the supervisor runs (supervisor.ts), built from the topology by components.ts. */
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
