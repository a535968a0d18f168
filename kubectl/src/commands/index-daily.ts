// The daily verbs' part of the command table (replace, taint, config, api-resources, events, set
// env|resources …): declared as data like the rest of index.ts, each module imported when it runs.
import type { Command } from "commander";
import type { ReplaceFlags } from "./replace.js";
import type { TaintFlags } from "./taint.js";
import { lazy, repeatable, type Run } from "./lazy.js";

export function registerDaily(program: Command): void {
  program
    .command("replace")
    .description("Replace a resource by file name or stdin")
    .option("-f, --filename <file>", "File, directory or - (stdin) with the manifests (repeatable)", repeatable)
    .option("-R, --recursive", "Process the directory used in -f recursively")
    .option("--dry-run [mode]", "none, server or client")
    .action(lazy(async () => (await import("./replace.js")).replace as Run<[ReplaceFlags]>));
  program
    .command("taint")
    .description("Update the taints on one or more nodes")
    .argument("[args...]", "node NAME… KEY[=VALUE]:EFFECT… (add) KEY[:EFFECT]-… (remove); EFFECT: NoSchedule, PreferNoSchedule or NoExecute")
    .option("--overwrite", "Replace a taint that has the same key and effect")
    .option("-l, --selector <selector>", "Selector (label query) to filter on")
    .option("--all", "Select all nodes in the cluster")
    .action(lazy(async () => (await import("./taint.js")).taint as Run<[string[], TaintFlags]>));
}
