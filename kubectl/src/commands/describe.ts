// mkctl describe TYPE [NAME_PREFIX…] | TYPE/NAME [-l SEL] [-A]: kubectl's describe, with the events
// of each object (listed once per namespace, matched on the client by involvedObject uid or name).
import type { Event } from "@mk/proto";
import type { AnyObject, KindInfo, KindName } from "@mk/proto/api";
import { type Clientset, NotFoundError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import {
  type DescribeContext,
  describeDeployment,
  describeEvent,
  describeLease,
  describeNamespace,
  describeNode,
  describePod,
  describeReplicaSet,
} from "../describe/kinds.js";
import { describeConfigMap, describeSecret } from "../describe/config.js";
import { describeEndpointSlice, describeEndpoints, describeService } from "../describe/service.js";
import { describeJob } from "../describe/job.js";
import { describeCronJob } from "../describe/cronjob.js";
import { notFoundLine, parseResourceArgs } from "../resources.js";

type Describer = (obj: AnyObject, c: DescribeContext) => Promise<string>;

const DESCRIBERS: { [K in KindName]: Describer } = {
  Deployment: describeDeployment as Describer,
  ReplicaSet: describeReplicaSet as Describer,
  Pod: describePod as Describer,
  Node: describeNode as Describer,
  Namespace: describeNamespace as Describer,
  Event: describeEvent as Describer,
  Lease: describeLease as Describer,
  ConfigMap: describeConfigMap as Describer,
  Secret: describeSecret as Describer,
  Service: describeService as Describer,
  Endpoints: describeEndpoints as Describer,
  EndpointSlice: describeEndpointSlice as Describer,
  Job: describeJob as Describer,
  CronJob: describeCronJob as Describer,
};

export interface DescribeFlags {
  selector?: string;
  allNamespaces?: boolean;
  showEvents: boolean;
}

export function eventsFor(info: KindInfo, obj: AnyObject, events: readonly Event[]): Event[] {
  const m = obj.metadata;
  return events.filter((e) => {
    const io = e.involvedObject;
    if (!io) return false;
    if (io.uid && m?.uid) return io.uid === m.uid;
    return io.kind === info.kind && io.name === m?.name && (io.namespace || "") === (info.namespaced ? (m?.namespace ?? "") : "");
  });
}

/** kubectl describe finds by exact name, else by name prefix (`describe pods web` shows every web-… pod). */
async function find(cs: Clientset, info: KindInfo, name: string, ns: string): Promise<AnyObject[]> {
  const client = cs.resource(info.kind);
  try {
    return [await client.get(name, ns)];
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  const all = await client.list({ namespace: ns });
  const matches = all.items.filter((o) => o.metadata?.name.startsWith(name));
  if (matches.length === 0) throw new CliError(notFoundLine(info, name), { raw: true });
  return matches;
}

export async function describe(cli: Cli, args: string[], f: DescribeFlags): Promise<void> {
  if (args.length === 0) throw new CliError("You must specify the type of resource to describe.");
  const cs = await cli.client();
  const eventsByNs = new Map<string, Event[]>();
  const eventsIn = async (ns: string) => {
    let evs = eventsByNs.get(ns);
    if (!evs) {
      evs = f.showEvents ? (await cs.events.list({ namespace: ns })).items : [];
      eventsByNs.set(ns, evs);
    }
    return evs;
  };
  const outputs: string[] = [];
  for (const t of parseResourceArgs(args)) {
    const ns = t.info.namespaced ? (f.allNamespaces ? "" : cli.namespace) : "";
    let objs: AnyObject[] = [];
    if (t.names.length > 0) {
      for (const name of t.names) objs.push(...(await find(cs, t.info, name, ns)));
    } else {
      objs = (await cs.resource(t.info.kind).list({ namespace: ns, labelSelector: f.selector ?? "" })).items;
    }
    for (const obj of objs) {
      // Events about cluster-scoped objects (nodes, namespaces) live in the default namespace.
      const evNs = t.info.namespaced ? (obj.metadata?.namespace ?? ns) : "";
      const events = eventsFor(t.info, obj, await eventsIn(evNs));
      outputs.push(await DESCRIBERS[t.info.kind](obj, { cs, now: cli.now(), events }));
    }
  }
  if (outputs.length === 0) {
    cli.err(f.allNamespaces ? "No resources found\n" : `No resources found in ${cli.namespace} namespace.\n`);
    return;
  }
  cli.out(outputs.join("\n\n"));
}
