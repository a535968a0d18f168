// The daily verbs' part of the command table (replace, taint, config, api-resources, events, set
// env|resources …): declared as data like the rest of index.ts, each module imported when it runs.
import type { Command } from "commander";
import type { ReplaceFlags } from "./replace.js";
import type { TaintFlags } from "./taint.js";
import type { SetContextFlags, ViewFlags } from "./kubeconfig.js";
import type { ApiResourcesFlags } from "./api-resources.js";
import type { DumpFlags } from "./cluster-info-dump.js";
import type { EventsFlags } from "./events.js";
import type { SetEnvFlags } from "./set-env.js";
import type { SetResourcesFlags } from "./set-resources.js";
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
  registerConfig(program);
  program
    .command("api-resources")
    .description("Print the supported API resources on the server")
    .option("--namespaced <bool>", "true: only namespaced resources; false: only cluster-scoped ones")
    .option("--api-group <group>", "Limit to resources in the specified API group ('' for core)")
    .option("--sort-by <field>", "name or kind (default: by group, then name)")
    .option("-o, --output <format>", "wide or name")
    .option("--no-headers", "Don't print headers")
    .action(lazy(async () => (await import("./api-resources.js")).apiResources as Run<[ApiResourcesFlags]>));
  program
    .command("events")
    .description("List events (oldest first)")
    .option("--for <TYPE/NAME>", "Only the events about this object")
    .option("--types <types>", "Only events of these types: Normal, Warning (comma-separated)")
    .option("-A, --all-namespaces", "Across all namespaces")
    .option("-w, --watch", "After listing, watch for new events")
    .option("--no-headers", "Don't print headers")
    .action(lazy(async () => (await import("./events.js")).events as Run<[EventsFlags]>));
  registerSet(program);
  const info = program.commands.find((c) => c.name() === "cluster-info") ?? program.command("cluster-info");
  info
    .command("dump")
    .description("Dump the cluster's state (nodes, and per namespace events, services, deployments, replica sets, pods and their logs)")
    .option("-A, --all-namespaces", "Dump every namespace")
    .option("--namespaces <list>", "The namespaces to dump (comma-separated; default mk-system and the current one)")
    .option("-o, --output <format>", "json (default) or yaml")
    .option("--output-directory <dir>", "Write files into this directory instead of stdout")
    .action(lazy(async () => (await import("./cluster-info-dump.js")).clusterInfoDump as Run<[DumpFlags]>));
}

/** `set env` and `set resources`, beside the `set image` index.ts declares. */
function registerSet(program: Command): void {
  const set = program.commands.find((c) => c.name() === "set") ?? program.command("set").description("Set specific features on objects");
  set
    .command("env")
    .description("Update environment variables on a pod template")
    .argument("<args...>", "TYPE/NAME… then KEY=VALUE… and KEY-…")
    .option("--from <source>", "configmap/NAME or secret/NAME: every key as a variable")
    .option("--prefix <prefix>", "Prefix the names of the variables --from adds")
    .option("-c, --containers <names>", "The containers to change (wildcards allowed)", "*")
    .option("--list", "Print the environment of each container instead of changing it")
    .option("--overwrite", "Replace variables that exist already (default true)", true)
    .option("--no-overwrite", "Keep variables that exist already")
    .action(lazy(async () => (await import("./set-env.js")).setEnv as Run<[string[], SetEnvFlags]>));
  set
    .command("resources")
    .description("Update resource requests and limits on a pod template")
    .argument("<args...>", "TYPE/NAME… or TYPE NAME…")
    .option("--limits <list>", "The resource limits, e.g. cpu=200m,memory=512Mi")
    .option("--requests <list>", "The resource requests, e.g. cpu=100m,memory=256Mi")
    .option("-c, --containers <names>", "The containers to change (wildcards allowed)", "*")
    .action(lazy(async () => (await import("./set-resources.js")).setResources as Run<[string[], SetResourcesFlags]>));
}

function registerConfig(program: Command): void {
  const config = program.command("config").description("Modify the config file (contexts, clusters, users), as kubectl config does");
  config
    .command("view")
    .description("Display the merged config settings (secrets redacted unless --raw)")
    .option("-o, --output <format>", "yaml (default), json or jsonpath=TEMPLATE")
    .option("--minify", "Remove all information not used by the current context")
    .option("--raw", "Display raw byte data and sensitive data")
    .action(lazy(async () => (await import("./kubeconfig.js")).view as Run<[ViewFlags]>));
  config
    .command("get-contexts")
    .description("Describe one or many contexts")
    .argument("[names...]", "context names")
    .option("-o, --output <format>", "name: only the names")
    .option("--no-headers", "Don't print headers")
    .action(lazy(async () => (await import("./kubeconfig.js")).getContexts as Run<[string[], { output?: string; headers: boolean }]>));
  config
    .command("get-clusters")
    .description("Display clusters defined in the config")
    .action(lazy(async () => (await import("./kubeconfig.js")).listNames("clusters")));
  config
    .command("get-users")
    .description("Display users defined in the config")
    .action(lazy(async () => (await import("./kubeconfig.js")).listNames("users")));
  config
    .command("current-context")
    .description("Display the current-context")
    .action(lazy(async () => (await import("./kubeconfig.js")).currentContext));
  config
    .command("use-context")
    .alias("use")
    .description("Set the current-context in the config file")
    .argument("<name>", "context name")
    .action(lazy(async () => (await import("./kubeconfig.js")).useContext as Run<[string]>));
  config
    .command("set-context")
    .description("Set a context entry in the config file")
    .argument("[name...]", "context name (or --current)")
    .option("--current", "Modify the current context")
    .option("--cluster <name>", "The cluster of the context")
    .option("--user <name>", "The user of the context")
    .option("--namespace <namespace>", "The namespace of the context")
    .action(lazy(async () => (await import("./kubeconfig.js")).setContext as Run<[string[], SetContextFlags]>));
}
