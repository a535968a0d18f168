// mkctl version [--client] [-o yaml|json]; mkctl cluster-info.
import type { Cli } from "../cli.js";
import { savedSettings } from "../cluster/control.js";
import { clusterPaths } from "../cluster/paths.js";
import { REGISTRY_COMPONENT, registryAddress } from "../cluster/registry.js";
import { readState } from "../cluster/state.js";
import { CliError } from "../errors.js";
import { printJson } from "../printers/json.js";
import { printYaml } from "../printers/yaml.js";
import { VERSION } from "../version.js";

export interface VersionFlags {
  client?: boolean;
  output?: string;
}

export async function version(cli: Cli, f: VersionFlags): Promise<void> {
  const clientVersion = { gitVersion: VERSION, platform: `${process.platform}/${process.arch}`, nodeVersion: process.version };
  if (f.output && f.output !== "yaml" && f.output !== "json") throw new CliError(`--output must be 'yaml' or 'json'`);
  if (!f.output) cli.out(`Client Version: ${VERSION}\n`);
  if (f.client) {
    if (f.output === "yaml") cli.out(printYaml({ clientVersion }));
    if (f.output === "json") cli.out(printJson({ clientVersion }));
    return;
  }
  const cs = await cli.client();
  const v = await cs.version();
  if (f.output === "yaml") cli.out(printYaml({ clientVersion, serverVersion: { ...v } }));
  else if (f.output === "json") cli.out(printJson({ clientVersion, serverVersion: { ...v } }));
  else cli.out(`Server Version: ${v.gitVersion}${v.etcdVersion ? `\netcd Version: ${v.etcdVersion}` : ""}\n`);
}

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
