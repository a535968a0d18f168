// mkctl exec POD [-c CONTAINER] -- COMMAND [ARGS…]: runs a command in a running container (no TTY,
// no stdin), through the API server to the node's kubelet. The command's exit code is mkctl's.
import { NotFoundError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, serverError } from "../errors.js";

export interface ExecFlags {
  container?: string;
}

export async function exec(cli: Cli, target: string, command: string[], f: ExecFlags): Promise<void> {
  if (command.length === 0) throw new CliError("you must specify at least one command for the container");
  const pod = target.replace(/^(pods?|po)\//, "");
  const cs = await cli.client();
  let exitCode: number | undefined;
  try {
    for await (const o of cs.exec({ namespace: cli.namespace, pod, container: f.container ?? "", command })) {
      if (o.stdout.length > 0) process.stdout.write(Buffer.from(o.stdout));
      if (o.stderr.length > 0) process.stderr.write(Buffer.from(o.stderr));
      if (o.exitCode !== undefined) exitCode = o.exitCode;
    }
  } catch (err) {
    if (err instanceof NotFoundError) throw serverError("NotFound", err.message, err);
    throw err;
  }
  if (exitCode !== undefined && exitCode !== 0) {
    throw new CliError(`command terminated with exit code ${exitCode}`, { raw: true, exitCode });
  }
}
