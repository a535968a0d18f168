// A lab node's processes, for the supervisor: its dockerd and its kubelet, both entered into the
// node's network namespace with `nsenter --net` (not `ip netns exec`, which remounts /sys and hides
// the cgroup mounts dockerd needs). nsenter execs its command, so the supervisor's pid is the
// dockerd's or the kubelet's own.
import { join } from "node:path";
import type { ClusterSettings, ComponentSpec } from "../components.js";
import { kubeletComponent } from "../kubelet-spec.js";
import type { ClusterPaths } from "../paths.js";
import { registryAddress } from "../registry.js";
import { dockerdArgs, loadImages, prepareDockerd, unixHealthUrl, waitDockerd } from "./docker.js";
import { LAB_IMAGES, LAB_LEASE_RENEW_SECONDS, labLayout } from "./layout.js";

/** The component name of a lab node's dockerd (its kubelet is named as the node, as in a local cluster). */
export const dockerdComponent = (node: string) => `${node}/dockerd`;

export function labNodeComponents(
  s: ClusterSettings,
  paths: ClusterPaths,
  server: string,
  kubelet: { command: string; args: string[] },
): ComponentSpec[] {
  const layout = labLayout(s, paths);
  const specs: ComponentSpec[] = [];
  for (const node of layout.nodes) {
    const net = `--net=${node.netnsPath}`;
    specs.push({
      name: dockerdComponent(node.name),
      command: "nsenter",
      args: [net, "dockerd", ...dockerdArgs(node)],
      address: `unix://${node.dockerSocket}`,
      healthUrl: unixHealthUrl(node.dockerSocket, "/_ping"),
      logFile: join(paths.logs, `dockerd-${node.name}.log`),
      netns: node.netns,
      prepare: (signal) => prepareDockerd(node, signal, registryAddress(s)),
    });
    const spec = kubeletComponent(s, paths, server, kubelet, node, ["--lease-renew", String(LAB_LEASE_RENEW_SECONDS), "--docker-socket", node.dockerSocket]);
    specs.push({
      ...spec,
      command: "nsenter",
      args: [net, spec.command, ...spec.args],
      netns: node.netns,
      // The kubelet needs its node's engine, with the offline images in it, before it starts pods.
      prepare: async (signal) => {
        const t0 = performance.now();
        await waitDockerd(node, signal);
        const t1 = performance.now();
        const loaded = await loadImages(node, s.labImages ?? LAB_IMAGES, join(paths.data, "lab"));
        const ms = (t: number) => Math.round(performance.now() - t);
        console.error(JSON.stringify({ msg: "lab node prepared", node: node.name, waitedForDockerdMs: Math.round(t1 - t0), loaded, loadMs: ms(t1) }));
      },
    });
  }
  return specs;
}
