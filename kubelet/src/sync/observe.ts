// What the runtime holds for a pod, read from the containers' labels and state: its sandboxes and,
// per spec container, every instance newest first. Everything the kubelet decides is derived from
// this (and the pod), which is why a restarted kubelet adopts what runs instead of starting it twice.
import { LABEL_ATTEMPT, LABEL_CONTAINER_NAME, LABEL_POD_UID, LABEL_TYPE, type NodeScope, scopeLabels } from "../runtime/names.js";
import type { ContainerDetails, ContainerRuntime } from "../runtime/runtime.js";

export interface ObservedPod {
  /** Newest first. */
  sandboxes: ContainerDetails[];
  /** Per container name, newest first. */
  containers: Map<string, ContainerDetails[]>;
}

export function attemptOf(c: { labels: Record<string, string> }): number {
  const n = Number(c.labels[LABEL_ATTEMPT] ?? "0");
  return Number.isFinite(n) ? n : 0;
}

export async function observePod(rt: ContainerRuntime, scope: NodeScope, uid: string): Promise<ObservedPod> {
  const list = await rt.listContainers({ ...scopeLabels(scope), [LABEL_POD_UID]: uid });
  const details = await Promise.all(list.map((c) => rt.inspectContainer(c.id)));
  const out: ObservedPod = { sandboxes: [], containers: new Map() };
  for (const d of details) {
    if (!d) continue; // removed between the list and the inspect
    if (d.labels[LABEL_TYPE] === "sandbox") {
      out.sandboxes.push(d);
      continue;
    }
    const name = d.labels[LABEL_CONTAINER_NAME] ?? "";
    const l = out.containers.get(name) ?? [];
    l.push(d);
    out.containers.set(name, l);
  }
  const newestFirst = (a: ContainerDetails, b: ContainerDetails) => attemptOf(b) - attemptOf(a) || b.createdAt.localeCompare(a.createdAt);
  out.sandboxes.sort(newestFirst);
  for (const l of out.containers.values()) l.sort(newestFirst);
  return out;
}

export function liveSandbox(o: ObservedPod): ContainerDetails | undefined {
  const s = o.sandboxes[0];
  return s?.running ? s : undefined;
}
