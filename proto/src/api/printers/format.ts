// Cell values as kubectl prints them: labels, selectors, a node's status and roles, an event's LAST SEEN.
import type { Event, Node } from "../../gen/mk/v1/core.js";
import type { LabelSelector } from "../../gen/mk/v1/meta.js";
import { since } from "./age.js";

export function formatLabels(labels: { [k: string]: string } | undefined): string {
  // Go's labels.Set.String sorts the "key=value" strings, not the keys: `app.kubernetes.io/name=x`
  // comes before `app=y` ('.' < '=').
  const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return pairs.length === 0 ? "<none>" : pairs.sort().join(",");
}

/** A label selector as kubectl prints it: requirements sorted by key (`app=web,tier in (a,b)`). */
export function formatSelector(sel: LabelSelector | undefined): string {
  if (!sel) return "<none>";
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels)) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions) {
    const values = [...e.values].sort().join(",");
    const text =
      e.operator === "In"
        ? `${e.key} in (${values})`
        : e.operator === "NotIn"
          ? `${e.key} notin (${values})`
          : e.operator === "Exists"
            ? e.key
            : e.operator === "DoesNotExist"
              ? `!${e.key}`
              : `${e.key} ${e.operator} (${values})`;
    reqs.push({ key: e.key, text });
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.length === 0 ? "<none>" : reqs.map((r) => r.text).join(",");
}

/** Ready / NotReady / Unknown, then SchedulingDisabled when cordoned. */
export function nodeStatus(n: Node): string {
  const ready = n.status?.conditions.find((c) => c.type === "Ready");
  const parts = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (n.spec?.unschedulable) parts.push("SchedulingDisabled");
  return parts.join(",");
}

/** From node-role.kubernetes.io/ROLE labels and kubernetes.io/role, sorted. */
export function nodeRoles(n: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(n.metadata?.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length);
      if (role) roles.add(role);
    } else if (k === "kubernetes.io/role" && v) {
      roles.add(v);
    }
  }
  return roles.size === 0 ? "<none>" : [...roles].sort().join(",");
}

/** LAST SEEN: `5m`, or `5m (x3 over 10m)` for a repeated event. */
export function eventLastSeen(e: Event, now: number): string {
  const first = since(e.firstTimestamp || e.metadata?.creationTimestamp, now);
  const last = e.lastTimestamp ? since(e.lastTimestamp, now) : first;
  return e.count > 1 ? `${last} (x${e.count} over ${first})` : last;
}
