// The mkctl program: global flags and every command declared (none of their modules loaded).
import { Command } from "commander";
import { durationOption } from "./argv.js";
import { registerCommands } from "./commands/index.js";
import { VERSION } from "./version.js";

export function buildProgram(): Command {
  const program = new Command("mkctl")
    .description("mkctl controls the mk cluster manager (a small Kubernetes); it behaves like kubectl.")
    .version(VERSION, "--client-version", "Print the client version")
    .option("-s, --server <host:port>", "The address of the mk API server")
    .option("--kubeconfig <path>", "Path to the mkctl config file (default $MK_CONFIG or ~/.mk/config)")
    .option("--context <name>", "The config context to use")
    .option("-n, --namespace <namespace>", "If present, the namespace scope for this request")
    .addOption(
      durationOption(
        "--request-timeout <duration>",
        "How long to wait for a single server call (5s, 1m30s, 250ms; a bare number is seconds; 0: the default, 30s)",
        "0",
      ),
    )
    .exitOverride();
  registerCommands(program);
  return program;
}
