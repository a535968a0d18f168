// Every mkctl command, declared here as data for commander: name, arguments, flags, help. This file
// is light on purpose: a command's module (and with it the gRPC client, the generated code, yaml)
// is imported only when that command runs, so `mkctl --help`, completion and a mistyped flag
// answer at Node's own start-up speed. The order is the order `mkctl --help` lists them.
import type { Command } from "commander";
import { durationOption } from "../argv.js";
import type { Cli } from "../cli.js";
import type { ApplyFlags } from "./apply.js";
import type { CordonFlags } from "./cordon.js";
import type { CreateFlags } from "./create.js";
import type { CreateFileFlags } from "./create-file.js";
import type { CreateServiceFlags } from "./create-service.js";
import type { CreateJobFlags } from "./create-job.js";
import type { CreateCronJobFlags } from "./create-cronjob.js";
import type { DeleteFlags } from "./delete.js";
import { registerDaily } from "./index-daily.js";
import { registerReview } from "./index-review.js";
import { lazy, repeatable, type Run } from "./lazy.js";
import type { DescribeFlags } from "./describe.js";
import type { DrainFlags } from "./drain.js";
import type { ExecFlags } from "./exec.js";
import type { ExposeFlags } from "./expose.js";
import type { GetFlags } from "./get.js";
import type { LabelFlags } from "./label.js";
import type { LogsFlags } from "./logs.js";
import type { PatchFlags } from "./patch.js";
import type { RunFlags } from "./run.js";
import type { ScaleFlags } from "./scale.js";
import type { VersionFlags } from "./version.js";
import type { WaitFlags } from "./wait.js";


function registerWorkloads(program: Command): void {
  const create = program.command("create").description("Create a resource from a file or stdin (-f FILE|DIR|-), or of a kind (deployment, namespace, configmap, secret, service, job)");
  const service = create.command("service").alias("svc").description("Create a service (clusterip, nodeport)");
  service
    .command("clusterip")
    .description("Create a ClusterIP service")
    .argument("<name>", "name of the service")
    .option("--tcp <port:targetPort>", "Port pairs (repeatable)", repeatable)
    .option("--clusterip <ip>", 'Assign your own ClusterIP or set to "None" for a headless service')
    .option("--dry-run [mode]", "none, server or client")
    .option("-o, --output <format>", "yaml, json or name")
    .action(lazy(async () => (await import("./create-service.js")).createClusterIp as Run<[string, CreateServiceFlags]>));
  service
    .command("nodeport")
    .description("Create a NodePort service")
    .argument("<name>", "name of the service")
    .option("--tcp <port:targetPort>", "Port pairs (repeatable)", repeatable)
    .option("--node-port <port>", "Port used to expose the service on each node in a cluster")
    .option("--dry-run [mode]", "none, server or client")
    .option("-o, --output <format>", "yaml, json or name")
    .action(lazy(async () => (await import("./create-service.js")).createNodePort as Run<[string, CreateServiceFlags]>));
  create
    .command("deployment")
    .alias("deploy")
    .description("Create a deployment with the specified name")
    .argument("<name>", "name of the deployment")
    .option("--image <image>", "Image name to run (repeatable: one container per image)", repeatable)
    .option("-r, --replicas <n>", "Number of replicas to create (default 1)")
    .option("--port <port>", "The containerPort of the first container")
    .option("--dry-run [mode]", "none, server or client")
    .option("-o, --output <format>", "yaml, json or name")
    .option("--save-config", "Record the object as its last-applied configuration, for a later apply")
    .action(lazy(async () => (await import("./create.js")).createDeployment as Run<[string, CreateFlags]>));
  create
    .command("namespace")
    .alias("ns")
    .description("Create a namespace with the specified name")
    .argument("<name>", "name of the namespace")
    .option("--dry-run [mode]", "none, server or client")
    .option("-o, --output <format>", "yaml, json or name")
    .option("--save-config", "Record the object as its last-applied configuration, for a later apply")
    .action(lazy(async () => (await import("./create.js")).createNamespace as Run<[string, CreateFlags]>));
  registerCreateConfig(create);
  registerCreateFromFiles(create);
  create
    .command("job")
    .description("Create a job with the specified name")
    .argument("<name>", "name of the job")
    .argument("[command...]", "after --: the container's command")
    .option("--image <image>", "Image name to run")
    .option("--from <cronjob/NAME>", "The name of the resource to create a Job from (only cronjob is supported)")
    .option("--dry-run [mode]", "none, server or client")
    .action(lazy(async () => (await import("./create-job.js")).createJob as Run<[string, string[], CreateJobFlags]>));
  create
    .command("cronjob")
    .alias("cj")
    .description("Create a cronjob with the specified name")
    .argument("<name>", "name of the cronjob")
    .argument("[command...]", "after --: the container's command")
    .option("--image <image>", "Image name to run")
    .option("--schedule <cron>", "A schedule in the Cron format the job should be run with")
    .option("--restart <policy>", "job's restart policy: OnFailure (default) or Never")
    .option("--dry-run [mode]", "none, server or client")
    .action(lazy(async () => (await import("./create-cronjob.js")).createCronJob as Run<[string, string[], CreateCronJobFlags]>));

  program
    .command("run")
    .description("Run a particular image in a pod")
    .argument("<name>", "the pod's name")
    .argument("[args...]", "after --: the container's arguments (its command with --command)")
    .option("--image <image>", "The image for the container to run")
    .option("--env <K=V>", "Environment variables to set in the container", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--port <port>", "The port that this container exposes")
    .option("-l, --labels <k=v,...>", "Labels to apply to the pod (default run=NAME)")
    .option("--restart <policy>", "The restart policy for this Pod: Always, OnFailure or Never", "Always")
    .option("--image-pull-policy <policy>", "The image pull policy for the container")
    .option("--command", "Use the arguments after -- as the command instead of the image's arguments")
    .action(lazy(async () => (await import("./run.js")).run as Run<[string, string[], RunFlags]>));
}

/** The flags of create configmap and create secret generic: where the keys come from. */
function withSources(c: Command, what: string): Command {
  return c
    .option("--from-literal <key=value>", `A key and literal value to insert in the ${what} (repeatable)`, repeatable)
    .option("--from-file <[key=]source>", "A file (key: its name, or the given key) or a directory (one key per file) (repeatable)", repeatable)
    .option("--from-env-file <file>", "A file of KEY=VALUE lines (repeatable)", repeatable);
}

function createOutput(c: Command): Command {
  return c
    .option("--dry-run [mode]", "none, server or client")
    .option("-o, --output <format>", "yaml, json or name")
    .option("--save-config", "Record the object as its last-applied configuration, for a later apply");
}

function registerCreateConfig(create: Command): void {
  createOutput(withSources(create.command("configmap").alias("cm").description("Create a configmap from files, directories, literal values or env files"), "configmap"))
    .argument("<name>", "name of the configmap")
    .action(lazy(async () => (await import("./create.js")).createConfigMap as Run<[string, CreateFlags]>));
  const secret = create.command("secret").description("Create a secret (generic, tls or docker-registry)");
  createOutput(withSources(secret.command("generic").description("Create a secret from files, directories, literal values or env files"), "secret"))
    .argument("<name>", "name of the secret")
    .option("--type <type>", "The type of secret to create (default Opaque)")
    .action(lazy(async () => (await import("./create.js")).createSecretGeneric as Run<[string, CreateFlags]>));
  createOutput(secret.command("tls").description("Create a TLS secret from a certificate and its key"))
    .argument("<name>", "name of the secret")
    .option("--cert <path>", "PEM certificate file")
    .option("--key <path>", "PEM private key file")
    .action(lazy(async () => (await import("./create.js")).createSecretTls as Run<[string, CreateFlags]>));
  createOutput(secret.command("docker-registry").description("Create a secret for a container registry"))
    .argument("<name>", "name of the secret")
    .option("--docker-server <server>", "Server location for the registry", "https://index.docker.io/v1/")
    .option("--docker-username <user>", "Username for registry authentication")
    .option("--docker-password <password>", "Password for registry authentication")
    .option("--docker-email <email>", "Email for the registry")
    .option("--from-file <[key=]source>", "A ready .dockerconfigjson file, as .dockerconfigjson=PATH", repeatable)
    .action(lazy(async () => (await import("./create.js")).createSecretDockerRegistry as Run<[string, CreateFlags]>));
}

/** `create -f`: a hidden default subcommand, chosen by argv.ts when a flag only it knows is given. */
function registerCreateFromFiles(create: Command): void {
  create
    .command("from-files", { isDefault: true, hidden: true })
    .description("Create a resource from a file or from stdin")
    .argument("[args...]", "none: kubectl's create takes no arguments with -f")
    .option("-f, --filename <file>", "File, directory or - (stdin) with the manifests (repeatable)", repeatable)
    .option("-R, --recursive", "Process the directory used in -f recursively")
    .option("--dry-run [mode]", "none, server or client")
    .option("-o, --output <format>", "yaml, json or name")
    .option("--save-config", "Record the object as its last-applied configuration, for a later apply")
    .action(lazy(async () => (await import("./create-file.js")).createFromFiles as Run<[string[], CreateFileFlags]>));
}

function registerReading(program: Command): void {
  program
    .command("get")
    .description("Display one or many resources")
    .argument("[resources...]", "TYPE[,TYPE…] [NAME…] or TYPE/NAME…")
    .option("-o, --output <format>", "Output format: wide, yaml, json, name, jsonpath=TEMPLATE, custom-columns=SPEC, custom-columns-file=FILE")
    .option("--no-headers", "Don't print headers")
    .option("--show-labels", "Show all labels as the last column")
    .option("-l, --selector <selector>", "Label selector (e.g. app=web,tier!=db)")
    .option("--field-selector <selector>", "Field selector (spec.nodeName, metadata.name, metadata.namespace)")
    .option("-A, --all-namespaces", "List across all namespaces")
    .option("-w, --watch", "After listing, watch for changes")
    .option("--watch-only", "Watch for changes without listing first")
    .option("--ignore-not-found", 'Treat "resource not found" as a successful retrieval')
    .option("-f, --filename <file>", "File, directory or - (stdin) naming the resources to get (repeatable)", repeatable)
    .option("-R, --recursive", "Process the directory used in -f recursively")
    .option("--sort-by <jsonpath>", "Sort the list by this field (a JSONPath, e.g. '{.metadata.name}')")
    .option("-L, --label-columns <keys>", "Labels to show as columns (comma-separated, repeatable)", repeatable)
    .option("--show-kind", "List the resource type of each object")
    .action(lazy(async () => (await import("./get.js")).get as Run<[string[], GetFlags]>));

  program
    .command("describe")
    .description("Show details of a specific resource or group of resources")
    .argument("[resources...]", "TYPE [NAME_PREFIX…] or TYPE/NAME")
    .option("-l, --selector <selector>", "Label selector")
    .option("-A, --all-namespaces", "Across all namespaces")
    .option("--no-show-events", "Leave out the events")
    .action(lazy(async () => (await import("./describe.js")).describe as Run<[string[], DescribeFlags]>));

  program
    .command("logs")
    .description("Print the logs for a container in a pod")
    .argument("[args...]", "POD, pod/POD, deployment/NAME, replicaset/NAME or job/NAME, then optionally CONTAINER")
    .option("-c, --container <name>", "Print the logs of this container")
    .option("-l, --selector <selector>", "Selector (label query) to filter on: every matching pod's logs")
    .option("--all-containers", "Get all containers' logs in the pod(s)")
    .option("--prefix", "Prefix each log line with the log source (pod name and container name)")
    .option("--max-log-requests <n>", "Maximum number of concurrent logs to follow when using by a selector (default 5)")
    .option("-f, --follow", "Specify if the logs should be streamed")
    .option("--tail <lines>", "Lines of recent log file to display (default -1: all; 10 with a selector)")
    .option("-p, --previous", "Print the logs for the previous instance of the container")
    .option("--timestamps", "Include timestamps on each line in the log output")
    .addOption(durationOption("--since <duration>", "Only return logs newer than a relative duration like 5s, 2m, or 3h"))
    .action(lazy(async () => (await import("./logs.js")).logs as Run<[string[], LogsFlags]>));
  program
    .command("wait")
    .description("Wait for a specific condition on one or many resources")
    .argument("[resources...]", "TYPE/NAME… or TYPE NAME…")
    .option("--for <condition>", "condition=TYPE[=VALUE], delete, or jsonpath='{PATH}'[=VALUE]")
    .option("-l, --selector <selector>", "Selector (label query) to filter on")
    .option("--all", "Select all resources in the namespace of the specified resource types")
    .addOption(durationOption("--timeout <duration>", "The length of time to wait before giving up", "30s"))
    .action(lazy(async () => (await import("./wait.js")).wait as Run<[string[], WaitFlags]>));

  program
    .command("exec")
    .description("Execute a command in a container")
    .argument("<pod>", "POD or pod/POD")
    .argument("[command...]", "the command and its arguments, after --")
    .option("-c, --container <name>", "Container name (default: the pod's only container)")
    .action(lazy(async () => (await import("./exec.js")).exec as Run<[string, string[], ExecFlags]>));
}

function registerChanging(program: Command): void {
  program
    .command("delete")
    .description("Delete resources by file names, stdin, resources and names, or by resources and label selector")
    .argument("[resources...]", "TYPE NAME…, TYPE/NAME…, or TYPE with -l/--all")
    .option("-f, --filename <file>", "File, directory or - with the resources to delete (repeatable)", repeatable)
    .option("-R, --recursive", "Process the directory used in -f recursively")
    .option("-l, --selector <selector>", "Label selector")
    .option("--all", "Delete all resources of the type in the namespace")
    .option("-A, --all-namespaces", "With -l or --all: across all namespaces")
    .option("--grace-period <seconds>", "Seconds given to the resource to terminate gracefully (-1: the resource's default)")
    .option("--force", "Remove at once, without waiting for the kubelet's confirmation (with --grace-period=0)")
    .option("--cascade <policy>", "background, orphan or foreground", "background")
    .option("--wait [bool]", "Wait until the resources are gone (default true; --wait=false returns at once)")
    .addOption(durationOption("--timeout <duration>", "How long to wait with --wait (0: forever)"))
    .option("--ignore-not-found", 'Treat "resource not found" as a successful delete')
    .action(lazy(async () => (await import("./delete.js")).del as Run<[string[], DeleteFlags]>));

  program
    .command("apply")
    .description("Apply a configuration to a resource by file name or stdin")
    .option("-f, --filename <file>", "File, directory or - (stdin) with the manifests (repeatable)", repeatable)
    .option("-R, --recursive", "Process the directory used in -f recursively")
    .option("--dry-run [mode]", "none, server (validate and default on the server, write nothing) or client")
    .action(lazy(async () => (await import("./apply.js")).apply as Run<[ApplyFlags]>));

  program
    .command("expose")
    .description("Take a deployment, replica set, pod or service and expose it as a new Kubernetes service")
    .argument("[resource...]", "TYPE NAME or TYPE/NAME (deployment, replicaset, pod, service)")
    .option("--port <port>", "The port that the service should serve on. Copied from the resource being exposed, if unspecified")
    .option("--target-port <port>", "Name or number for the port on the container that the service should direct traffic to (default: the port)")
    .option("--type <type>", "Type for this service: ClusterIP or NodePort (default ClusterIP)")
    .option("--name <name>", "The name for the newly created object (default: the exposed object's)")
    .option("--protocol <protocol>", "The network protocol for the service to be created: TCP or UDP (default: the exposed ports')")
    .option("--selector <selector>", "A label selector (k=v,…) for the service (default: from the exposed object)")
    .option("-l, --labels <labels>", "Labels (k=v,…) to apply to the service (default: the exposed object's)")
    .option("--cluster-ip <ip>", "ClusterIP to be assigned to the service; None for a headless service")
    .option("--session-affinity <affinity>", "None or ClientIP")
    .option("--dry-run [mode]", "none, server or client")
    .option("-o, --output <format>", "yaml, json or name")
    .action(lazy(async () => (await import("./expose.js")).expose as Run<[string[], ExposeFlags]>));

  program
    .command("scale")
    .description("Set a new size for a deployment or replica set")
    .argument("<resources...>", "TYPE NAME… or TYPE/NAME…")
    .option("--replicas <count>", "The new desired number of replicas")
    .option("--current-replicas <count>", "Precondition: the current size must be this")
    .action(lazy(async () => (await import("./scale.js")).scale as Run<[string[], ScaleFlags]>));

  program
    .command("patch")
    .description("Update fields of a resource using strategic merge patch, a JSON merge patch, or a JSON patch")
    .argument("<resources...>", "TYPE NAME or TYPE/NAME")
    .option("-p, --patch <patch>", "The patch to be applied to the resource JSON file (JSON or YAML)")
    .option("--patch-file <file>", "A file containing a patch to be applied to the resource")
    .option("--type <type>", "The type of patch being provided; one of [json merge strategic]", "strategic")
    .option("--subresource <name>", "If specified, patch will operate on the subresource of the requested object (status)")
    .option("--dry-run <mode>", "none or server")
    .action(lazy(async () => (await import("./patch.js")).patch as Run<[string[], PatchFlags]>));
}

function registerRollout(program: Command): void {
  const rollout = program.command("rollout").description("Manage the rollout of a deployment");
  const target = ["<resource...>", "deployment/NAME, deployment NAME or NAME"] as const;
  rollout
    .command("status")
    .description("Show the status of the rollout")
    .argument(...target)
    .addOption(durationOption("--timeout <duration>", "Time to wait before giving up (0: forever)", "0"))
    .option("-w, --watch", "Watch the rollout until it is done", true)
    .option("--no-watch", "Print the status once")
    .action(lazy(async () => (await import("./rollout.js")).status));
  rollout
    .command("history")
    .description("View rollout history")
    .argument(...target)
    .option("--revision <n>", "Show the pod template of this revision")
    .action(lazy(async () => (await import("./rollout.js")).history));
  rollout
    .command("undo")
    .description("Undo a previous rollout")
    .argument(...target)
    .option("--to-revision <n>", "The revision to roll back to (0: the previous one)", "0")
    .action(lazy(async () => (await import("./rollout.js")).undo));
  for (const paused of [true, false]) {
    rollout
      .command(paused ? "pause" : "resume")
      .description(paused ? "Mark the deployment as paused" : "Resume a paused deployment")
      .argument(...target)
      .action(
        lazy(async () => {
          const { setPaused } = await import("./rollout.js");
          return (cli: Cli, args: string[]) => setPaused(cli, args, paused);
        }),
      );
  }
  rollout
    .command("restart")
    .description("Restart a deployment (a new rollout of the same template)")
    .argument(...target)
    .action(lazy(async () => (await import("./rollout.js")).restart));

  const set = program.command("set").description("Set specific features on objects");
  set
    .command("image")
    .description("Update the image of a deployment's pod template")
    .argument("<args...>", "deployment/NAME (or deployment NAME, or NAME) then CONTAINER=IMAGE …")
    .option("--record", "Record the command in the kubernetes.io/change-cause annotation")
    .action(lazy(async () => (await import("./set-image.js")).setImage));
}

function registerMetadata(program: Command): void {
  for (const field of ["labels", "annotations"] as const) {
    program
      .command(field === "labels" ? "label" : "annotate")
      .description(field === "labels" ? "Update the labels on a resource" : "Update the annotations on a resource")
      .argument("<args...>", "TYPE NAME… KEY=VALUE… KEY-…")
      .option("--overwrite", "Replace values that exist already")
      .option("-l, --selector <selector>", "Label selector of the objects to change")
      .option("--all", "Every object of the type in the namespace")
      .action(
        lazy(async () => {
          const { run } = await import("./label.js");
          return (cli: Cli, args: string[], f: LabelFlags) => run(cli, field, args, f);
        }),
      );
  }
}

function registerNodes(program: Command): void {
  for (const unschedulable of [true, false]) {
    program
      .command(unschedulable ? "cordon" : "uncordon")
      .description(unschedulable ? "Mark node as unschedulable" : "Mark node as schedulable")
      .argument("[nodes...]", "NODE…")
      .option("-l, --selector <selector>", "Selector (label query) to filter on")
      .action(
        lazy(async () => {
          const { cordon } = await import("./cordon.js");
          return (cli: Cli, args: string[], f: CordonFlags) => cordon(cli, args, f, unschedulable);
        }),
      );
  }
  program
    .command("drain")
    .description("Drain node in preparation for maintenance")
    .argument("[nodes...]", "NODE…")
    .option("-l, --selector <selector>", "Selector (label query) to filter on")
    .option("--force", "Continue even if there are pods that do not declare a controller", false)
    .option("--ignore-errors", "Ignore errors occurred between drain nodes in group", false)
    .addOption(durationOption("--timeout <duration>", "The length of time to wait before giving up, zero means infinite", "0s"))
    .option("--grace-period <seconds>", "Period of time in seconds given to each pod to terminate gracefully. If negative, the pod's own value is used")
    .option("--delete-emptydir-data", "Continue even if there are pods using emptyDir (local data that will be deleted when the node is drained)", false)
    .action(lazy(async () => (await import("./drain.js")).drain as Run<[string[], DrainFlags]>));
}

function registerInfo(program: Command): void {
  program
    .command("version")
    .description("Print the client and server version information")
    .option("--client", "If true, shows client version only (no server required)")
    .option("-o, --output <format>", "yaml or json")
    .action(lazy(async () => (await import("./version.js")).version as Run<[VersionFlags]>));
  program
    .command("cluster-info")
    .description("Display the address of the control plane")
    .action(lazy(async () => (await import("./cluster-info.js")).clusterInfo));
}

/** The names `mkctl cluster` has, for help and completion before its module is loaded. */
const CLUSTER_SUBCOMMANDS = ["up", "init", "join", "etcd-member", "leave", "down", "status", "node"];
const CLUSTER_DESCRIPTION = "Run a local mk cluster: etcd, the control plane and the nodes";

/**
 * `cluster` is declared by its own module (it has many subcommands and flags of its own); until it
 * runs, a stub with its name, description and subcommand names stands in for help and completion.
 */
const clusterStubs = new WeakSet<Command>();

function registerClusterStub(program: Command): void {
  const stub = program.command("cluster").description(CLUSTER_DESCRIPTION);
  for (const name of CLUSTER_SUBCOMMANDS) stub.command(name);
  clusterStubs.add(stub);
}

/** Replaces the `cluster` stub with the real command when the command line names it; other commands are returned as they are. */
export async function expandCommand(program: Command, stub: Command): Promise<Command> {
  if (!clusterStubs.has(stub)) return stub;
  const { clusterCommand, onReadyWriteContext } = await import("./cluster.js");
  const real = clusterCommand({ onReady: onReadyWriteContext });
  // commander has no way to replace a command: swap it in its list, where help and parsing look.
  (program.commands as Command[]).splice(program.commands.indexOf(stub), 1, real);
  real.parent = program;
  return real;
}

function registerCompletion(program: Command): void {
  program
    .command("completion")
    .description("Output shell completion code for bash, zsh or fish")
    .argument("<shell>", "bash, zsh or fish")
    .action(async (shell: string) => {
      if (shell === "fish") {
        process.stdout.write((await import("./completion-fish.js")).fishCompletion(program));
        return;
      }
      const { completion } = await import("./completion.js");
      completion(program, shell);
    });
}

export function registerCommands(program: Command): void {
  registerWorkloads(program);
  registerReading(program);
  registerChanging(program);
  registerRollout(program);
  registerMetadata(program);
  registerNodes(program);
  registerInfo(program);
  registerDaily(program);
  registerReview(program);
  registerClusterStub(program);
  registerCompletion(program);
}
