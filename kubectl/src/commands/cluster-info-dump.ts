// mkctl cluster-info dump [-A | --namespaces a,b] [-o json|yaml] [--output-directory DIR]: a subset
// of kubectl's dump, for a bug report. The nodes, then for each namespace (the system namespace
// mk-system and the current one, by default) its events, services, deployments, replica sets and
// pods as lists, and every container's log between kubectl's START and END lines. With
// --output-directory each goes to a file of its own (nodes.json, NS/pods.json, NS/POD/logs.txt).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AnyObject, KindName } from "@mk/proto/api";
import { KINDS } from "@mk/proto/api";
import type { Clientset } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import { type JsonObject, toK8s } from "../objects.js";
import { printJson } from "../printers/json.js";
import { printYaml } from "../printers/yaml.js";

export interface DumpFlags {
  allNamespaces?: boolean;
  namespaces?: string;
  output?: string;
  outputDirectory?: string;
}

/** The system namespace of mk's own components (leases, leader election). */
const SYSTEM_NAMESPACE = "mk-system";
const PER_NAMESPACE: KindName[] = ["Event", "Service", "Deployment", "ReplicaSet", "Pod"];


/** A typed list: in Go's field order for JSON (kind first), keys sorted for YAML, as kubectl prints. */
function listDoc(kind: KindName, items: readonly AnyObject[], resourceVersion: string, yaml: boolean): JsonObject {
  const info = KINDS[kind];
  const converted = items.map((o) => toK8s(info, o));
  return yaml
    ? { apiVersion: info.apiVersion, items: converted, kind: `${kind}List`, metadata: { resourceVersion } }
    : { kind: `${kind}List`, apiVersion: info.apiVersion, metadata: { resourceVersion }, items: converted };
}

async function podLogs(cs: Clientset, namespace: string, pod: string, container: string): Promise<string> {
  let text = "";
  try {
    for await (const chunk of cs.logs({ namespace, pod, container })) text += Buffer.from(chunk.data).toString();
  } catch (err) {
    // A pod not running yet, or a node gone: the dump says so and goes on, as kubectl's does.
    text += `${(err as Error).message}\n`;
  }
  return text;
}

export async function clusterInfoDump(cli: Cli, f: DumpFlags): Promise<void> {
  const format = f.output ?? "json";
  if (format !== "json" && format !== "yaml") throw new CliError(`unable to match a printer suitable for the output format "${format}", allowed formats are: json,yaml`);
  const print = (doc: JsonObject) => (format === "json" ? printJson(doc) : printYaml(doc));
  const ext = format === "json" ? "json" : "yaml";
  const dir = f.outputDirectory;
  const emit = (path: string, text: string) => {
    if (!dir) {
      cli.out(text);
      return;
    }
    const file = join(dir, path);
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, text);
  };
  const cs = await cli.client();
  const nodes = await cs.nodes.list();
  const yaml = format === "yaml";
  emit(`nodes.${ext}`, print(listDoc("Node", nodes.items, nodes.resourceVersion, yaml)));
  let namespaces: string[];
  if (f.allNamespaces) namespaces = (await cs.resource("Namespace").list()).items.map((n) => n.metadata?.name ?? "");
  else if (f.namespaces) namespaces = f.namespaces.split(",").filter((n) => n !== "");
  else namespaces = [...new Set([SYSTEM_NAMESPACE, cli.namespace])];
  for (const ns of namespaces) {
    for (const kind of PER_NAMESPACE) {
      const list = await cs.resource(kind).list({ namespace: ns });
      emit(join(ns, `${KINDS[kind].plural}.${ext}`), print(listDoc(kind, list.items, list.resourceVersion, yaml)));
    }
    for (const pod of (await cs.pods.list({ namespace: ns })).items) {
      const name = pod.metadata?.name ?? "";
      let text = "";
      for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
        const logs = await podLogs(cs, ns, name, c.name);
        text += `==== START logs for container ${c.name} of pod ${ns}/${name} ====\n${logs}==== END logs for container ${c.name} of pod ${ns}/${name} ====\n`;
      }
      emit(join(ns, name, "logs.txt"), text);
    }
  }
  if (dir) cli.out(`Cluster info dumped to ${dir}\n`);
}
