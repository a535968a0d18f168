// What Docker holds for one cluster (its io.mk.cluster label), through the docker CLI as the rest of
// the harness: the containers, volumes and networks, and the container event stream.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { docker } from "../harness/docker.js";
import type { EngineEvent } from "./events.js";
import { LABEL_CLUSTER } from "./engines.js";
import type { DockerThing } from "./final.js";

type What = "container" | "volume" | "network";

const LISTS: Record<What, string[]> = {
  container: ["ps", "--all", "--no-trunc", "--quiet"],
  volume: ["volume", "ls", "--quiet"],
  network: ["network", "ls", "--no-trunc", "--quiet"],
};

interface Inspected {
  Id?: string;
  Name?: string;
  Labels?: Record<string, string> | null;
  Config?: { Labels?: Record<string, string> | null };
  State?: { Running?: boolean };
}

/** Every container, volume or network labelled for the cluster. */
export async function clusterThings(clusterId: string, what: What): Promise<DockerThing[]> {
  const out = await docker([...(LISTS[what] ?? []), "--filter", `label=${LABEL_CLUSTER}=${clusterId}`]);
  const ids = out === "" ? [] : out.split("\n");
  if (ids.length === 0) return [];
  let json: string;
  try {
    json = await docker([what, "inspect", ...ids]);
  } catch {
    // One was removed between the listing and the inspect (a pod going away): look again.
    return await clusterThings(clusterId, what);
  }
  return (JSON.parse(json) as Inspected[]).map((i) => ({
    id: what === "volume" ? (i.Name ?? "") : (i.Id ?? ""),
    labels: (what === "container" ? i.Config?.Labels : i.Labels) ?? {},
    running: what === "container" ? Boolean(i.State?.Running) : undefined,
  }));
}

/**
 * Follows Docker's container events for the cluster until the signal aborts, calling onEvent for
 * each; resolves once the stream is open. If docker events ends early it is restarted from the
 * last event's time (a repeated event is harmless to the checkers).
 */
export async function followEngineEvents(clusterId: string, onEvent: (e: EngineEvent) => void, signal: AbortSignal): Promise<void> {
  let since = "";
  const open = () =>
    new Promise<void>((resolveOpen) => {
      const args = ["events", "--filter", "type=container", "--filter", `label=${LABEL_CLUSTER}=${clusterId}`, "--format", "{{json .}}"];
      if (since) args.push("--since", since);
      const child = spawn("docker", args, { stdio: ["ignore", "pipe", "ignore"], signal });
      child.on("error", () => {
        // Aborted (the run ended) or docker is missing: the exit handler decides.
      });
      child.on("spawn", () => resolveOpen());
      createInterface({ input: child.stdout }).on("line", (line) => {
        let ev: { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; timeNano?: number };
        try {
          ev = JSON.parse(line) as typeof ev;
        } catch {
          return; // not an event line: nothing to check
        }
        if (ev.timeNano) since = (ev.timeNano / 1e9).toFixed(9);
        onEvent({ action: (ev.Action ?? "").split(":")[0] ?? "", id: ev.Actor?.ID ?? "", labels: ev.Actor?.Attributes ?? {} });
      });
      child.on("exit", () => {
        if (!signal.aborted) setTimeout(() => void open(), 500);
      });
    });
  await open();
}
