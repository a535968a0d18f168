// mkctl version [--client] [-o yaml|json]. With --client it loads no more than kubectl's would read.
import type { Cli } from "../cli.js";
import { CliError } from "../cli-error.js";
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
