// Invariants on Docker's event stream (the containers of one cluster, by its io.mk.cluster label):
// - no pod uid runs on two engines at once: a container of a pod starts while a container of the
//   same pod runs under another node's name;
// - no two app containers of one pod run at once: an app container (io.mk.container.type
//   "container") starts while one with the same pod uid and container name still runs.
//
// The rules:
// - A container runs from its "start" event to its "die" (or "destroy") event; the containers that
//   already run when the checker starts are given to seed().
// - An engine is a node's kubelet (io.mk.node.name): the nodes of a local cluster share one Docker
//   engine, but each kubelet only sees its own labels, so each is an engine of its own.
// - A killed kubelet's pods keep running (a kubelet leaves its containers when it stops, and the
//   restarted one adopts them): that is no violation, as long as the pod's uid never starts
//   elsewhere. A replacement pod made by the controller has a new uid, so a pod evicted from a lost
//   node may run on another node while the lost node's containers still run.
// - A sandbox (pause) container is no app container: it counts for the engine rule only.
// - Docker delivers one engine's events in order, so no reordering is needed (unlike merge.ts).
import type { EngineEvent, Violation } from "./events.js";

export const LABEL_NODE = "io.mk.node.name";
export const LABEL_POD_UID = "io.mk.pod.uid";
export const LABEL_CONTAINER = "io.mk.container.name";
export const LABEL_TYPE = "io.mk.container.type";
export const LABEL_CLUSTER = "io.mk.cluster";

interface RunningContainer {
  uid: string;
  node: string;
  type: string;
  container: string;
}

export class EngineChecker {
  private readonly running = new Map<string, RunningContainer>();
  readonly violations: Violation[] = [];
  starts = 0;

  /** Containers already running (from a listing) when the event stream begins. */
  seed(containers: readonly { id: string; labels: Readonly<Record<string, string>> }[]): void {
    for (const c of containers) this.running.set(c.id, describe(c.labels));
  }

  feed(e: EngineEvent): void {
    if (e.action === "die" || e.action === "destroy") {
      this.running.delete(e.id);
      return;
    }
    if (e.action !== "start") return;
    const c = describe(e.labels);
    if (!c.uid) return;
    this.starts += 1;
    for (const [id, other] of this.running) {
      if (id === e.id || other.uid !== c.uid) continue;
      if (other.node !== c.node) {
        this.violations.push({ invariant: "one-engine", detail: `pod ${c.uid}: ${c.type} ${c.container} starts on ${c.node} while ${other.container} runs on ${other.node} (${id.slice(0, 12)})` });
      } else if (c.type === "container" && other.type === "container" && other.container === c.container) {
        this.violations.push({ invariant: "one-app-container", detail: `pod ${c.uid}: a second ${c.container} container starts on ${c.node} (${e.id.slice(0, 12)}) while ${id.slice(0, 12)} runs` });
      }
    }
    this.running.set(e.id, c);
  }
}

function describe(labels: Readonly<Record<string, string>>): RunningContainer {
  return { uid: labels[LABEL_POD_UID] ?? "", node: labels[LABEL_NODE] ?? "", type: labels[LABEL_TYPE] ?? "", container: labels[LABEL_CONTAINER] ?? "" };
}
