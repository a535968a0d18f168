// mkctl expose TYPE NAME | TYPE/NAME [--port] [--target-port] [--type] [--name] [--protocol]
// [--selector] [-l/--labels] [--cluster-ip] [--session-affinity] [--dry-run] [-o]: kubectl's expose
// (pkg/cmd/expose). The selector comes from the object (a Deployment's or ReplicaSet's matchLabels,
// a Service's selector, a Pod's labels), the ports and their protocols from its containers (or the
// Service's ports) when --port is not given: one port keeps no name, several are port-1, port-2 …;
// the target port is --target-port, else the port itself. The Service's labels are the object's.
import type { Container, Deployment, Pod, ReplicaSet, Service } from "@mk/proto";
import { Service as ServiceCodec, ServicePort } from "@mk/proto";
import { emptyMeta, type KindInfo, KINDS } from "@mk/proto/api";
import { AlreadyExistsError, InvalidError, NotFoundError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, invalidLine, serverError } from "../errors.js";
import { toK8s } from "../objects.js";
import { printJson } from "../printers/json.js";
import { printYaml } from "../printers/yaml.js";
import { notFoundLine, parseResourceArgs, refName } from "../resources.js";
import { parseDryRun } from "./apply.js";

export interface ExposeFlags {
  port?: string;
  targetPort?: string;
  type?: string;
  name?: string;
  protocol?: string;
  selector?: string;
  labels?: string;
  clusterIp?: string;
  sessionAffinity?: string;
  dryRun?: string;
  output?: string;
}

/** kubectl's usage errors (kubectl 1.32 prints the message alone). */
const usageError = (message: string) => new CliError(message);

type Exposable = { kind: "Deployment"; obj: Deployment } | { kind: "ReplicaSet"; obj: ReplicaSet } | { kind: "Pod"; obj: Pod } | { kind: "Service"; obj: Service };

/** What the object says about the Service: its pod selector, ports and their protocols. */
interface Introspection {
  /** The selector, or why there is none (kubectl's words). */
  selector: Record<string, string> | string;
  ports: string[];
  /** port → its protocols. */
  protocols: Map<string, string[]>;
}

function containerPorts(containers: readonly Container[]): Pick<Introspection, "ports" | "protocols"> {
  const ports: string[] = [];
  const protocols = new Map<string, string[]>();
  for (const c of containers) {
    for (const p of c.ports) {
      const port = String(p.containerPort);
      ports.push(port);
      protocols.set(port, [...(protocols.get(port) ?? []), p.protocol || "TCP"]);
    }
  }
  return { ports, protocols };
}

/** kubectl's MapBasedSelectorForObject, PortsForObject and ProtocolsForObject. */
function introspect(e: Exposable): Introspection {
  switch (e.kind) {
    case "Pod": {
      const labels = e.obj.metadata?.labels ?? {};
      return { selector: Object.keys(labels).length > 0 ? { ...labels } : "the pod has no labels and cannot be exposed", ...containerPorts(e.obj.spec?.containers ?? []) };
    }
    case "Service": {
      const sel = e.obj.spec?.selector ?? {};
      const ports = (e.obj.spec?.ports ?? []).map((p) => String(p.port));
      const protocols = new Map<string, string[]>();
      for (const p of e.obj.spec?.ports ?? []) protocols.set(String(p.port), [...(protocols.get(String(p.port)) ?? []), p.protocol || "TCP"]);
      return { selector: Object.keys(sel).length > 0 ? { ...sel } : "the service has no pod selector set", ports, protocols };
    }
    case "Deployment":
    case "ReplicaSet": {
      const what = e.kind === "Deployment" ? "deployment" : "replicaset";
      const sel = e.obj.spec?.selector;
      let selector: Introspection["selector"];
      if (!sel || Object.keys(sel.matchLabels).length === 0) selector = `invalid ${what}: no selectors, therefore cannot be exposed`;
      else if (sel.matchExpressions.length > 0) selector = `couldn't convert expressions - "${JSON.stringify(sel.matchExpressions)}" to map-based selector format`;
      else selector = { ...sel.matchLabels };
      return { selector, ...containerPorts(e.obj.spec?.template?.spec?.containers ?? []) };
    }
  }
}

/** kubectl's parseLabels: `k=v,k2=v2`, equality only. */
function parseLabels(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of spec.split(",")) {
    const kv = part.split("=");
    if (kv.length !== 2 || !kv[0]) throw new CliError(`unexpected label spec: ${part}`);
    out[kv[0]] = kv[1] ?? "";
  }
  return out;
}

/** kubectl's createService (generate/versioned service): the Service the flags and the object make. */
export function buildExposedService(e: Exposable, namespace: string, f: ExposeFlags): Service {
  const found = introspect(e);
  let selector: Record<string, string>;
  if (f.selector) selector = parseLabels(f.selector);
  else if (typeof found.selector === "string") throw usageError(`couldn't retrieve selectors via --selector flag or introspection: ${found.selector}`);
  else selector = found.selector;
  const headless = f.clusterIp === "None";
  let ports: string[];
  if (f.port !== undefined && f.port !== "") {
    ports = f.port.split(",");
  } else {
    if (found.ports.length === 0 && !headless) throw usageError("couldn't find port via --port flag or introspection");
    ports = found.ports;
  }
  const servicePorts: ServicePort[] = [];
  ports.forEach((text, i) => {
    if (!/^\d+$/.test(text)) throw new CliError(`strconv.Atoi: parsing "${text}": invalid syntax`);
    const port = Number(text);
    const name = ports.length > 1 ? `port-${i + 1}` : "";
    let protocol = f.protocol ?? "";
    const known = found.protocols.get(text) ?? [];
    if (!protocol) {
      // Exposed object's protocols: one for the port is taken; several give a port each.
      if (known.length > 1) {
        for (const p of known) servicePorts.push(ServicePort.fromPartial({ name: `port-${i + 1}-${p.toLowerCase()}`, port, protocol: p }));
        return;
      }
      protocol = known[0] ?? "TCP";
    }
    servicePorts.push(ServicePort.fromPartial({ name, port, protocol }));
  });
  for (const p of servicePorts) p.targetPort = f.targetPort ? f.targetPort : String(p.port);
  if (f.sessionAffinity && f.sessionAffinity !== "None" && f.sessionAffinity !== "ClientIP") throw new CliError(`unknown session affinity: ${f.sessionAffinity}`);
  const labels = f.labels ? parseLabels(f.labels) : { ...(e.obj.metadata?.labels ?? {}) };
  const name = f.name || e.obj.metadata?.name || "";
  if (!name) throw new CliError("name must be specified");
  return ServiceCodec.fromPartial({
    apiVersion: "v1",
    kind: "Service",
    metadata: emptyMeta({ name, namespace, labels }),
    spec: {
      selector,
      ports: servicePorts,
      type: f.type ?? "",
      clusterIp: f.clusterIp ?? "",
      sessionAffinity: f.sessionAffinity ?? "",
    },
  });
}


/** The object, read first (a missing one is NotFound whatever its kind), then kubectl's CanBeExposed. */
async function fetchExposable(cli: Cli, info: KindInfo, name: string): Promise<Exposable> {
  const cs = await cli.client();
  try {
    switch (info.kind) {
      case "Deployment":
        return { kind: "Deployment", obj: await cs.deployments.get(name, cli.namespace) };
      case "ReplicaSet":
        return { kind: "ReplicaSet", obj: await cs.replicaSets.get(name, cli.namespace) };
      case "Pod":
        return { kind: "Pod", obj: await cs.pods.get(name, cli.namespace) };
      case "Service":
        return { kind: "Service", obj: await cs.services.get(name, cli.namespace) };
      default:
        await cs.resource(info.kind).get(name, info.namespaced ? cli.namespace : "");
        throw new CliError(`cannot expose a ${info.group ? `${info.kind}.${info.group}` : info.kind}`);
    }
  } catch (err) {
    if (err instanceof NotFoundError) throw new CliError(notFoundLine(info, name), { raw: true, cause: err });
    throw err;
  }
}

export async function expose(cli: Cli, args: string[], f: ExposeFlags): Promise<void> {
  if (args.length === 0) throw usageError("You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
  const targets = parseResourceArgs(args);
  const dryRun = parseDryRun(f.dryRun);
  if (f.output && !["yaml", "json", "name"].includes(f.output)) {
    throw new CliError(`unable to match a printer suitable for the output format "${f.output}", allowed formats are: json,name,yaml`);
  }
  for (const t of targets) {
    if (t.names.length === 0) throw usageError("resource(s) were provided, but no name was specified");
    for (const name of t.names) {
      const svc = buildExposedService(await fetchExposable(cli, t.info, name), cli.namespace, f);
      const svcName = svc.metadata?.name ?? "";
      let created = svc;
      if (dryRun !== "client") {
        const cs = await cli.client();
        try {
          created = await cs.services.create(svc, { dryRun: dryRun === "server" });
        } catch (err) {
          if (err instanceof AlreadyExistsError) throw serverError("AlreadyExists", `services "${svcName}" already exists`, err);
          if (err instanceof InvalidError && err.fields.length > 0) throw new CliError(invalidLine("Service", svcName, err.fields), { raw: true, cause: err });
          throw err;
        }
      }
      const info = KINDS.Service;
      if (f.output === "yaml") cli.out(printYaml(toK8s(info, created)));
      else if (f.output === "json") cli.out(printJson(toK8s(info, created)));
      else if (f.output === "name") cli.out(`${refName(info, svcName)}\n`);
      else cli.out(`${refName(info, svcName)} exposed${dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : ""}\n`);
    }
  }
}
