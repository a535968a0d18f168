// A node's kubelet as a supervised component: the same flags, address, health URL and log for a
// local node and a lab node (which adds flags of its own and runs it inside its namespace).
import { join } from "node:path";
import type { Binary } from "./binaries.js";
import type { ClusterPaths } from "./paths.js";
import type { ComponentSpec } from "./settings.js";
import type { NodeMember } from "./topology.js";

export function kubeletComponent(kubelet: Binary, node: NodeMember, server: string, paths: ClusterPaths): ComponentSpec {
  return {
    name: node.name,
    command: kubelet.command,
    args: [
      ...kubelet.args,
      ...["--server", server, "--node-name", node.name, "--node-ip", node.ip],
      ...["--port", String(node.kubeletPort), "--healthz-port", String(node.kubeletHealthzPort)],
      ...node.kubeletArgs,
    ],
    address: `${node.ip}:${node.kubeletPort}`,
    healthUrl: `http://${node.ip}:${node.kubeletHealthzPort}/healthz`,
    logFile: join(paths.logs, `kubelet-${node.name}.log`),
  };
}
