// A node's kubelet as a supervised component: the same flags, address, health URL and log for a
// local node and a lab node (which adds flags of its own and runs it inside its namespace).
import { join } from "node:path";
import type { ClusterSettings, ComponentSpec } from "./components.js";
import type { ClusterPaths } from "./paths.js";

export function kubeletComponent(
  s: ClusterSettings,
  paths: ClusterPaths,
  server: string,
  kubelet: { command: string; args: string[] },
  node: { name: string; ip: string },
  extraArgs: string[] = [],
): ComponentSpec {
  return {
    name: node.name,
    command: kubelet.command,
    args: [
      ...kubelet.args,
      ...["--server", server, "--node-name", node.name, "--node-ip", node.ip],
      ...["--port", String(s.kubeletPort), "--healthz-port", String(s.kubeletHealthzPort)],
      ...["--cluster-cidr", s.clusterCidr ?? "10.244.0.0/16"],
      ...extraArgs,
    ],
    address: `${node.ip}:${s.kubeletPort}`,
    healthUrl: `http://${node.ip}:${s.kubeletHealthzPort}/healthz`,
    logFile: join(paths.logs, `kubelet-${node.name}.log`),
  };
}
