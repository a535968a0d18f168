#!/usr/bin/env node
// mkctl: wires the commander program, runs one command, prints a failure as one line.
import { Command, CommanderError } from "commander";
import { registerCommands } from "./commands/index.js";
import { CliError, toCliError } from "./errors.js";
import { VERSION } from "./version.js";
import { silenceIpServerNameWarning } from "./warnings.js";

silenceIpServerNameWarning();

const program = new Command("mkctl")
  .description("mkctl controls the mk cluster manager (a small Kubernetes); it behaves like kubectl.")
  .version(VERSION, "--client-version", "Print the client version")
  .option("-s, --server <host:port>", "The address of the mk API server")
  .option("--kubeconfig <path>", "Path to the mkctl config file (default $MK_CONFIG or ~/.mk/config)")
  .option("--context <name>", "The config context to use")
  .option("-n, --namespace <namespace>", "If present, the namespace scope for this request")
  .option("--request-timeout <duration>", "How long to wait for a single server call (e.g. 5s, 1m; 0: default 30s)", "0")
  .showSuggestionAfterError(true)
  .exitOverride()
  .configureOutput({
    outputError: (str, write) => write(str.replace(/^error: unknown option '([^']*)'/, "error: unknown flag: $1")),
  });
registerCommands(program);

try {
  // Bare `mkctl` prints the help and succeeds, as kubectl does.
  if (process.argv.length <= 2) program.outputHelp();
  else await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander has printed the message (or the help) already.
    process.exitCode = err.exitCode;
  } else {
    const e = err instanceof CliError ? err : toCliError(err);
    process.stderr.write(`${e.line}\n`);
    process.exitCode = e.exitCode;
  }
}
