// mkctl exec POD [-c CONTAINER] -- COMMAND [ARGS…]: runs a command in a running container (no TTY,
// no stdin), through the API server to the node's kubelet. The command's exit code is mkctl's.
import type { Command } from "commander";
import { NotFoundError } from "@mk/proto/client";
import { action, type Cli } from "../cli.js";
import { CliError, serverError } from "../errors.js";

interface ExecFlags {
  container?: string;
}

async function exec(cli: Cli, target: string, command: string[], f: ExecFlags): Promise<void> {
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

export function register(program: Command): void {
  program
    .command("exec")
    .description("Execute a command in a container")
    .argument("<pod>", "POD or pod/POD")
    .argument("[command...]", "the command and its arguments, after --")
    .option("-c, --container <name>", "Container name (default: the pod's only container)")
    .action(action((cli, pod: string, command: string[], f: ExecFlags) => exec(cli, pod, command, f)));
}
