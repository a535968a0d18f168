// mkctl: reads the command line as kubectl does (argv.ts), lets commander run the one command it
// names, and prints a failure as kubectl would. Only the light command table is loaded up front.
import { CommanderError } from "commander";
import { parseArgs } from "./argv.js";
import { CliError } from "./cli-error.js";
import { expandCommand } from "./commands/index.js";
import { buildProgram } from "./program.js";
import { silenceIpServerNameWarning } from "./warnings.js";

async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  // Bare `mkctl` prints the help and succeeds, as kubectl does.
  if (argv.length === 0) {
    program.outputHelp();
    return;
  }
  const { command, canonical } = await parseArgs(program, argv, (cmd) => expandCommand(program, cmd));
  // Global flags and no command (`mkctl -n dev`): the help, and success, as kubectl does.
  const args = command === program && !canonical.includes("--help") ? ["--help", ...canonical] : canonical;
  await program.parseAsync(args, { from: "user" });
}

async function report(err: unknown): Promise<void> {
  if (err instanceof CommanderError) {
    // commander has printed the message (or the help) already.
    process.exitCode = err.exitCode;
    return;
  }
  // Only a failure needs the error mapping, and with it the gRPC client's error classes.
  const e = err instanceof CliError ? err : (await import("./errors.js")).toCliError(err);
  // An empty line: the exit code says it all (diff's 1, "differences found").
  if (e.line) process.stderr.write(`${e.line}\n`);
  process.exitCode = e.exitCode;
}

silenceIpServerNameWarning();
try {
  await main(process.argv.slice(2));
} catch (err) {
  await report(err);
}
