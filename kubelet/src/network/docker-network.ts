// The pod network on Docker: one bridge network per node, `mk-pods-<hash>`, labelled with node and
// cluster, subnet = the node's podCIDR (gateway its first address), Docker's masquerading off
// (mk's nat chain masquerades only traffic leaving the cluster CIDR), plus the host rules (rules.ts)
// and the host-gw routes (routes.ts). A network left on another subnet (the Node was re-registered
// and got another podCIDR) is replaced.
//
// DNS: on a user-defined network Docker writes its embedded resolver (127.0.0.11) into a pod's
// resolv.conf; cluster DNS will bind-mount a resolv.conf of mk's own into each container instead.
import { formatIPv4, parseCidr, podNetworkName, podNetworkNames, POD_NETWORK_CLUSTER_LABEL, POD_NETWORK_KIND_LABEL, POD_NETWORK_NODE_LABEL } from "@mk/proto";
import Docker from "dockerode";
import type { Logger } from "pino";
import { applyRules, ensureChain, filterParent } from "./iptables.js";
import { setHairpin, setRouteLocalnet } from "./localnet.js";
import type { PodNetwork } from "./pod-network.js";
import { desiredRoutes, localAddresses, type PeerNode, syncRoutes } from "./routes.js";
import { podNetworkJumps, podNetworkRules } from "./rules.js";

export interface DockerPodNetworkOptions {
  nodeName: string;
  clusterId: string;
  clusterCidr: string;
  socketPath?: string | undefined;
}

export class PodNetworkError extends Error {
  readonly reason = "NetworkSetupFailed";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PodNetworkError";
  }
}

const statusCode = (err: unknown): number | undefined => (err as { statusCode?: number } | null)?.statusCode;

export class DockerPodNetwork implements PodNetwork {
  readonly sandboxNetwork: string;
  private readonly bridge: string;
  private readonly docker: Docker;
  private readonly o: DockerPodNetworkOptions;
  private readonly log: Logger;

  constructor(o: DockerPodNetworkOptions, log: Logger) {
    this.o = o;
    this.log = log;
    const n = podNetworkName(o.clusterId, o.nodeName);
    this.sandboxNetwork = n.network;
    this.bridge = n.bridge;
    this.docker = o.socketPath ? new Docker({ socketPath: o.socketPath }) : new Docker();
  }

  async ensure(podCidr: string): Promise<void> {
    const cidr = parseCidr(podCidr);
    await this.ensureNetwork(podCidr, formatIPv4(cidr.base + 1));
    const names = podNetworkNames(this.o.clusterId);
    try {
      if (!(await setRouteLocalnet(this.bridge))) {
        this.log.warn({ bridge: this.bridge }, "the pod bridge is not in this network namespace: route_localnet not set, pods cannot reach loopback endpoints");
      }
      await ensureChain("filter", names.proxyFilterChain);
      await applyRules(podNetworkRules(names, this.o.clusterCidr), podNetworkJumps(names, await filterParent()));
    } catch (err) {
      throw new PodNetworkError(`pod network rules: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  private async ensureNetwork(subnet: string, gateway: string): Promise<void> {
    const existing = await this.inspect();
    if (existing) {
      const have = existing.IPAM?.Config?.[0]?.Subnet;
      if (have === subnet) return;
      this.log.info({ network: this.sandboxNetwork, have, want: subnet }, "pod network on another subnet; replacing it");
      await this.remove();
    }
    try {
      await this.docker.createNetwork({
        Name: this.sandboxNetwork,
        Driver: "bridge",
        CheckDuplicate: true,
        IPAM: { Driver: "default", Config: [{ Subnet: subnet, Gateway: gateway }] },
        Options: {
          "com.docker.network.bridge.name": this.bridge,
          "com.docker.network.bridge.enable_ip_masquerade": "false",
        },
        Labels: {
          [POD_NETWORK_CLUSTER_LABEL]: this.o.clusterId,
          [POD_NETWORK_NODE_LABEL]: this.o.nodeName,
          [POD_NETWORK_KIND_LABEL]: "pods",
        },
      });
      this.log.info({ network: this.sandboxNetwork, bridge: this.bridge, subnet }, "pod network created");
    } catch (err) {
      // 409: another start of this kubelet made it meanwhile; its subnet is checked on the next ensure.
      if (statusCode(err) === 409) return;
      throw new PodNetworkError(`create pod network ${this.sandboxNetwork} on ${subnet}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  private async inspect(): Promise<Docker.NetworkInspectInfo | undefined> {
    try {
      return (await this.docker.getNetwork(this.sandboxNetwork).inspect()) as Docker.NetworkInspectInfo;
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  private async remove(): Promise<void> {
    try {
      await this.docker.getNetwork(this.sandboxNetwork).remove();
    } catch (err) {
      if (statusCode(err) === 404) return;
      throw new PodNetworkError(`remove pod network ${this.sandboxNetwork}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  async syncRoutes(nodes: PeerNode[]): Promise<void> {
    await syncRoutes(desiredRoutes(this.o.nodeName, nodes, await localAddresses()), this.o.clusterCidr);
  }

  async hairpin(): Promise<void> {
    await setHairpin(this.bridge);
  }

  async teardown(): Promise<void> {
    await this.remove();
  }
}
