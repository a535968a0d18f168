// The command table's part for edit, diff, explain and auth can-i: declared as data like the rest of
// index.ts, each module imported only when its command runs.
import type { Command } from "commander";
import type { CanIFlags } from "./auth.js";
import type { DiffFlags } from "./diff.js";
import type { EditFlags } from "./edit.js";
import type { ExplainFlags } from "./explain.js";
import { lazy, repeatable, type Run } from "./lazy.js";

export function registerReview(program: Command): void {
  program
    .command("edit")
    .description("Edit a resource on the server (in $KUBE_EDITOR, $EDITOR or vi)")
    .argument("[resources...]", "TYPE NAME…, TYPE/NAME… or TYPE")
    .option("-o, --output <format>", "yaml or json: the file's format, and the edited object printed in it (default: a yaml file, `edited` printed)")
    .action(lazy(async () => (await import("./edit.js")).edit as Run<[string[], EditFlags]>));
  program
    .command("diff")
    .description("Diff the live version against a would-be applied version (exit 0: none, 1: differences, 2: error)")
    .option("-f, --filename <file>", "File, directory or - (stdin) with the manifests (repeatable)", repeatable)
    .option("-R, --recursive", "Process the directory used in -f recursively")
    .action(lazy(async () => (await import("./diff.js")).diff as Run<[DiffFlags]>));
  program
    .command("explain")
    .description("Get documentation for a resource: its fields and their types, from the API's OpenAPI schema")
    .argument("[resource...]", "TYPE[.field.path], e.g. deployment.spec.strategy")
    .option("--recursive", "Print the names of all the fields recursively, without descriptions")
    .option("--api-version <group/version>", "Use given api-version (group/version) of the resource")
    .option("-o, --output <format>", "plaintext (kubectl's default)")
    .action(lazy(async () => (await import("./explain.js")).explain as Run<[string[], ExplainFlags]>));
  program
    .command("auth")
    .description("Inspect authorization")
    .command("can-i")
    .description("Check whether an action is allowed (exit 0: yes, 1: no)")
    .argument("[args...]", "VERB TYPE[/NAME] or VERB /NONRESOURCE/URL")
    .option("-A, --all-namespaces", "If true, check the specified action in all namespaces")
    .option("--subresource <name>", "SubResource such as pod/log or deployment/scale")
    .option("-q, --quiet", "If true, suppress output and just return the exit code")
    .option("--list", "List all allowed actions (not supported by mk)")
    .action(lazy(async () => (await import("./auth.js")).canI as Run<[string[], CanIFlags]>));
}
