// Lab mode's names and addresses, all derived from the cluster directory and its settings, so that
// `up`, `down`, `node cut` and a crashed supervisor's cleanup agree without asking the kernel.
//
// Lab L (0…15, the first one free on this host, kept in cluster.json) uses:
//   bridge   mkl-<hash6>            10.213.L.1/24 (the control plane listens here)
//   node i   netns mk-<node>        eth0 10.213.L.(10+i)/24, a veth whose host end is mkl-<hash6>-i
//   with --ha, etcd member i (1…3)   netns mk-<hash6>-etcd-i, eth0 10.213.L.(1+i)/24, host end mkl-<hash6>-ei
// e.g. the first lab's node 2 is 10.213.0.12. Pod addresses are the cluster's, not the lab's: each
// node's pods are on the podCIDR node IPAM gave its Node (from --cluster-cidr), routed host-gw.
// Interface names are at most 15 bytes: "mkl-" + 6 hex + "-" + up to 2 digits + "p" is 14.
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { ClusterPaths } from "../paths.js";
import type { ClusterSettings } from "../settings.js";

/** Nodes per lab. */
export const MAX_LAB_NODES = 15;
/** Labs per host: 10.213.0…15. */
export const MAX_LABS = 16;

/** The offline images every lab node gets from the host engine (those the host has). */
export const LAB_IMAGES = ["mk/pause:1", "mk/busybox:1", "mk/web:v1", "mk/web:v2", "mk/backend:v1", "mk/proxy:v1", "node:v1", "node:v2"];

/** The lab settings of the controller manager: a silent node is Unknown after 10 s, its pods go 10 s later. */
export const LAB_CONTROLLER_ARGS = ["--node-monitor-grace-period", "10s", "--node-monitor-period", "1s", "--default-unreachable-toleration-seconds", "10"];
/** Lab kubelets renew their Lease every 2 s, well inside the 10 s grace period. */
export const LAB_LEASE_RENEW_SECONDS = 2;

/** A network namespace of the lab, joined to its bridge by a veth pair. */
export interface LabLink {
  netns: string;
  /** /var/run/netns/<netns>, for `nsenter --net=`. */
  netnsPath: string;
  /** The veth end on the host, in the bridge: `cut` takes it down. */
  hostVeth: string;
  /** The other end's name until it is moved into the namespace and renamed eth0. */
  peerVeth: string;
  ip: string;
}

/** A control-plane member of an HA lab in a namespace of its own (the etcd members). */
export interface LabMember extends LabLink {
  /** Its component name (etcd-1 …). */
  component: string;
}

export interface LabNode {
  index: number;
  name: string;
  netns: string;
  /** /var/run/netns/<netns>, for `nsenter --net=`. */
  netnsPath: string;
  /** The veth end on the host, in the bridge: `cut` takes it down. */
  hostVeth: string;
  /** The other end's name until it is moved into the namespace and renamed eth0. */
  peerVeth: string;
  ip: string;
  dockerSocket: string;
  dockerPidfile: string;
  dockerDataRoot: string;
  dockerExecRoot: string;
}

export interface LabLayout {
  /** The lab's number L on this host. */
  net: number;
  bridge: string;
  /** The bridge's host address: the API server listens here. */
  hostIp: string;
  subnet: string;
  /** Short-lived files (sockets, exec roots, pidfiles): under /run, whose paths stay short enough for sockets. */
  runDir: string;
  nodes: LabNode[];
  /** With --ha: the etcd members, each in its own namespace (the API servers stay on the bridge's host address). */
  etcdMembers: LabMember[];
}

/** A short, stable tag of the cluster directory: two labs from two directories never share a name. */
export function labTag(root: string): string {
  return createHash("sha256").update(root).digest("hex").slice(0, 6);
}

export function bridgeIp(net: number): string {
  return `10.213.${net}.1`;
}

export function labLayout(s: ClusterSettings, paths: ClusterPaths): LabLayout {
  const net = s.labNet ?? 0;
  const tag = labTag(paths.root);
  const runDir = join("/run/mk-lab", tag);
  const nodes: LabNode[] = [];
  for (let i = 1; i <= s.nodes; i++) {
    const name = `${s.nodePrefix}-${i}`;
    nodes.push({
      index: i,
      name,
      netns: `mk-${name}`,
      netnsPath: `/var/run/netns/mk-${name}`,
      hostVeth: `mkl-${tag}-${i}`,
      peerVeth: `mkl-${tag}-${i}p`,
      ip: `10.213.${net}.${10 + i}`,
      dockerSocket: join(runDir, name, "docker.sock"),
      dockerPidfile: join(runDir, name, "docker.pid"),
      dockerExecRoot: join(runDir, name, "exec"),
      dockerDataRoot: join(paths.data, "lab", name, "docker"),
    });
  }
  const etcdMembers: LabMember[] = (s.ha ? [1, 2, 3] : []).map((i) => ({
    component: `etcd-${i}`,
    netns: `mk-${tag}-etcd-${i}`,
    netnsPath: `/var/run/netns/mk-${tag}-etcd-${i}`,
    hostVeth: `mkl-${tag}-e${i}`,
    peerVeth: `mkl-${tag}-e${i}p`,
    ip: `10.213.${net}.${1 + i}`,
  }));
  return { net, bridge: `mkl-${tag}`, hostIp: bridgeIp(net), subnet: `10.213.${net}.0/24`, runDir, nodes, etcdMembers };
}

/** The lab node called name, or an error naming the lab's nodes. */
export function labNode(layout: LabLayout, name: string): LabNode {
  const node = layout.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`node ${JSON.stringify(name)} is not in this lab (its nodes: ${layout.nodes.map((n) => n.name).join(", ")})`);
  return node;
}
