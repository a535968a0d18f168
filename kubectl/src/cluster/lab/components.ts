// A lab node's processes, for the supervisor: its dockerd and its kubelet, both entered into the
// node's network namespace with `nsenter --net` (not `ip netns exec`, which remounts /sys and hides
// the cgroup mounts dockerd needs). nsenter execs its command, so the supervisor's pid is the
// dockerd's or the kubelet's own.
import { join } from "node:path";
import type { ClusterPaths } from "../paths.js";
import type { ComponentSpec } from "../settings.js";
import { dockerdArgs, loadImages, prepareDockerd, unixHealthUrl, waitDockerd } from "./docker.js";
import type { LabNode } from "./layout.js";

/** The component name of a lab node's dockerd (its kubelet is named as the node, as in a local cluster). */
export const dockerdComponent = (node: string) => `${node}/dockerd`;

/** The node's own dockerd, trusting the cluster's registry (HOST:PORT). */
export function labDockerdComponent(node: LabNode, registry: string, paths: ClusterPaths): ComponentSpec {
  return {
    name: dockerdComponent(node.name),
    command: "nsenter",
    args: [`--net=${node.netnsPath}`, "dockerd", ...dockerdArgs(node)],
    address: `unix://${node.dockerSocket}`,
    healthUrl: unixHealthUrl(node.dockerSocket, "/_ping"),
    logFile: join(paths.logs, `dockerd-${node.name}.log`),
    netns: node.netns,
    prepare: (signal) => prepareDockerd(node, signal, registry),
  };
}

/** The kubelet spec run inside the node's namespace, once the node's engine holds the lab's images. */
export function inLabNode(lab: { node: LabNode; images: string[] }, kubelet: ComponentSpec, paths: ClusterPaths): ComponentSpec {
  const { node, images } = lab;
  return {
    ...kubelet,
    command: "nsenter",
    args: [`--net=${node.netnsPath}`, kubelet.command, ...kubelet.args],
    netns: node.netns,
    // The kubelet needs its node's engine, with the offline images in it, before it starts pods.
    prepare: async (signal) => {
      const t0 = performance.now();
      await waitDockerd(node, signal);
      const t1 = performance.now();
      const loaded = await loadImages(node, images, join(paths.data, "lab"));
      const ms = (t: number) => Math.round(performance.now() - t);
      console.error(JSON.stringify({ msg: "lab node prepared", node: node.name, waitedForDockerdMs: Math.round(t1 - t0), loaded, loadMs: ms(t1) }));
    },
  };
}
