// mkctl create service clusterip|nodeport NAME --tcp=PORT[:TARGET]… [--clusterip IP] [--node-port N]:
// kubectl's `create service`, with its port names (`80-8080`) and its selector (app=NAME).
import { Service, ServicePort } from "@mk/proto";
import { emptyMeta, KINDS } from "@mk/proto/api";
import { AlreadyExistsError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, serverError } from "../errors.js";
import { toK8s } from "../objects.js";
import { printJson } from "../printers/json.js";
import { printYaml } from "../printers/yaml.js";
import { refName } from "../resources.js";
import { parseDryRun } from "./apply.js";

export interface CreateServiceFlags {
  tcp?: string[];
  clusterip?: string;
  nodePort?: string;
  dryRun?: string;
  output?: string;
}

/** `80:8080` → port 80 to target 8080, named `80-8080` as kubectl names it; `80` → 80 to 80. */
export function parseTcp(spec: string): ServicePort {
  const [port, target = port] = spec.split(":");
  const n = Number(port);
  if (!/^\d+$/.test(port ?? "") || n < 1 || n > 65535) throw new CliError(`invalid --tcp "${spec}": want PORT or PORT:TARGET_PORT, ports 1-65535`);
  if (!target) throw new CliError(`invalid --tcp "${spec}": the target port is empty`);
  return ServicePort.fromPartial({ name: `${port}-${target}`, protocol: "TCP", port: n, targetPort: target });
}

export function buildService(type: "ClusterIP" | "NodePort", name: string, namespace: string, f: CreateServiceFlags): Service {
  const ports = (f.tcp ?? []).map(parseTcp);
  if (ports.length === 0 && f.clusterip !== "None") throw new CliError('required flag(s) "tcp" not set');
  if (f.nodePort !== undefined) {
    const n = Number(f.nodePort);
    if (!Number.isInteger(n) || n < 0) throw new CliError(`invalid argument "${f.nodePort}" for "--node-port" flag`);
    for (const p of ports) p.nodePort = n;
  }
  return Service.fromPartial({
    apiVersion: "v1",
    kind: "Service",
    metadata: emptyMeta({ name, namespace, labels: { app: name } }),
    spec: { type, ports, selector: { app: name }, clusterIp: f.clusterip ?? "" },
  });
}

async function create(cli: Cli, type: "ClusterIP" | "NodePort", name: string, f: CreateServiceFlags): Promise<void> {
  const svc = buildService(type, name, cli.namespace, f);
  const dryRun = parseDryRun(f.dryRun);
  const info = KINDS.Service;
  let created = svc;
  if (dryRun !== "client") {
    const cs = await cli.client();
    try {
      created = await cs.services.create(svc, { dryRun: dryRun === "server" });
    } catch (err) {
      if (err instanceof AlreadyExistsError) throw serverError("AlreadyExists", `services "${name}" already exists`, err);
      throw err;
    }
  }
  const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";
  const line = `${refName(info, name)} created${suffix}`;
  if (f.output === "yaml") cli.out(printYaml(toK8s(info, created)));
  else if (f.output === "json") cli.out(printJson(toK8s(info, created)));
  else if (f.output === "name") cli.out(`${refName(info, name)}\n`);
  else if (f.output) throw new CliError(`unable to match a printer suitable for the output format "${f.output}", allowed formats are: json,name,yaml`);
  else cli.out(`${line}\n`);
}

export const createClusterIp = (cli: Cli, name: string, f: CreateServiceFlags) => create(cli, "ClusterIP", name, f);
export const createNodePort = (cli: Cli, name: string, f: CreateServiceFlags) => create(cli, "NodePort", name, f);
