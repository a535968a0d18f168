// mkctl cluster-info: where the control plane (and the local cluster's image registry) answers.
import type { Cli } from "../cli.js";
import { savedSettings } from "../cluster/control.js";
import { clusterPaths } from "../cluster/paths.js";
import { REGISTRY_COMPONENT, registryAddress } from "../cluster/registry.js";
import { readState } from "../cluster/state.js";

export async function clusterInfo(cli: Cli): Promise<void> {
  const cs = await cli.client();
  const v = await cs.version();
  cli.out(`mk control plane is running at ${v.advertiseAddress || cli.server}\n`);
  const registry = localRegistry(cli.server);
  if (registry) cli.out(`image registry is running at ${registry}\n`);
  cli.out(`\nTo further debug and diagnose cluster problems, use 'mkctl cluster status' and 'mkctl get events -A'.\n`);
}

/**
 * The registry of the local cluster (in $MK_HOME/cluster) when mkctl talks to that cluster's API
 * server and its supervisor runs one; a cluster started elsewhere says nothing of its registry.
 */
function localRegistry(server: string): string | undefined {
  const paths = clusterPaths();
  const s = savedSettings(paths);
  if (!s || `${s.host}:${s.apiPort}` !== server) return undefined;
  return readState(paths.state)?.components.some((c) => c.name === REGISTRY_COMPONENT) ? registryAddress(s) : undefined;
}
