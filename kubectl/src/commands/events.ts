// mkctl events [--for TYPE/NAME] [--types=Normal,Warning] [-A] [-w] [--no-headers]: kubectl events.
// Oldest first; columns LAST SEEN TYPE REASON OBJECT MESSAGE (NAMESPACE first with -A); LAST SEEN is
// the first time, or `2m (x3 over 10m)` for a repeated event; -w prints each new event as it comes.
import type { Event } from "@mk/proto";
import { since } from "@mk/proto/api";
import { ExpiredError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import { StreamingTable } from "../printers/tabwriter.js";
import { resolveKind } from "../resources.js";

export interface EventsFlags {
  for?: string;
  types?: string;
  allNamespaces?: boolean;
  watch?: boolean;
  headers: boolean;
}

const TYPES = ["Normal", "Warning"];

/** kubectl events' interval: first seen, or `last (xN over first)`. */
export function interval(e: Event, now: number): string {
  const first = since(e.firstTimestamp || e.metadata?.creationTimestamp, now);
  return e.count > 1 ? `${since(e.lastTimestamp || e.firstTimestamp, now)} (x${e.count} over ${first})` : first;
}

const lastTime = (e: Event) => Date.parse(e.lastTimestamp || e.firstTimestamp || e.metadata?.creationTimestamp || "") || 0;

export async function events(cli: Cli, f: EventsFlags): Promise<void> {
  const types = (f.types ?? "").split(",").filter((t) => t !== "");
  for (const t of types) {
    if (!TYPES.some((k) => k.toLowerCase() === t.toLowerCase())) throw new CliError(`valid --types are Normal or Warning`);
  }
  let involved: { kind: string; name: string } | undefined;
  if (f.for) {
    const i = f.for.indexOf("/");
    if (i <= 0) throw new CliError(`--for must be in resource/name form`);
    involved = { kind: resolveKind(f.for.slice(0, i)).kind, name: f.for.slice(i + 1) };
  }
  const keep = (e: Event) =>
    (!involved || (e.involvedObject?.kind === involved.kind && e.involvedObject?.name === involved.name)) &&
    (types.length === 0 || types.some((t) => t.toLowerCase() === e.type.toLowerCase()));
  const namespace = f.allNamespaces ? "" : cli.namespace;
  const cs = await cli.client();
  const list = await cs.events.list({ namespace });
  const items = list.items.filter(keep).sort((a, b) => lastTime(a) - lastTime(b));
  const table = new StreamingTable();
  const row = (e: Event) => [
    ...(f.allNamespaces ? [e.metadata?.namespace ?? ""] : []),
    interval(e, cli.now()),
    e.type,
    e.reason,
    `${e.involvedObject?.kind ?? ""}/${e.involvedObject?.name ?? ""}`,
    e.message.trim(),
  ];
  const header = [...(f.allNamespaces ? ["NAMESPACE"] : []), "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
  let headerDone = !f.headers;
  const print = (rows: Event[]) => {
    if (rows.length === 0) return;
    const lines = rows.map(row);
    if (!headerDone) lines.unshift(header);
    headerDone = true;
    cli.out(table.format(lines));
  };
  if (items.length === 0 && !f.watch) {
    cli.err(f.allNamespaces ? "No events found.\n" : `No events found in ${cli.namespace} namespace.\n`);
    return;
  }
  print(items);
  if (!f.watch) return;
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    let rv = list.resourceVersion;
    for (;;) {
      try {
        for await (const ev of cs.events.watch({ namespace, resourceVersion: rv, signal: ac.signal })) {
          if (ev.type === "ADDED" || ev.type === "MODIFIED") {
            if (keep(ev.object)) print([ev.object]);
          }
          rv = ev.object.metadata?.resourceVersion || rv;
        }
        return;
      } catch (err) {
        // Compacted past our version: go on from now, as a new watch would.
        if (!(err instanceof ExpiredError)) throw err;
        rv = (await cs.events.list({ namespace, limit: 1 })).resourceVersion;
      }
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
