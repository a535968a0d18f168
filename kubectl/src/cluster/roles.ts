// What `cluster status` shows in its ROLE column, per member of the topology:
//   etcd members        leader or follower, from the member's own view (etcd_server_is_leader on its
//                       plain-HTTP metrics listener, the figure maintenance.Status' leader field gives,
//                       read without a client certificate); "no leader" while it has none
//   API servers         apiserver (their health is the HEALTH column)
//   the balancer        balancer N/M (API servers it finds ready)
//   schedulers and
//   controller managers leader or standby (their /leader, which follows their Lease)
//   the image registry  registry
//   nodes               node
import type { Topology } from "./topology.js";

async function text(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** A Prometheus sample's value (no labels), or undefined. */
export function metricValue(metrics: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(metrics);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** The role of an etcd member from its /metrics. */
export function etcdRole(metrics: string | undefined): string {
  if (metrics === undefined) return "-";
  if (metricValue(metrics, "etcd_server_has_leader") === 0) return "no leader";
  return metricValue(metrics, "etcd_server_is_leader") === 1 ? "etcd leader" : "etcd follower";
}

/** Each component's role, by its supervisor name. */
export async function memberRoles(t: Topology, timeoutMs = 2_000): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const jobs: Promise<void>[] = [];
  for (const m of t.etcd) jobs.push(text(`http://${m.metricsAddress}/metrics`, timeoutMs).then((body) => void out.set(m.component, etcdRole(body))));
  for (const m of t.apiServers) out.set(m.component, "apiserver");
  if (t.balancer) {
    const b = t.balancer;
    jobs.push(
      text(`http://${b.healthListen}/backends`, timeoutMs).then((body) => {
        const backends = body === undefined ? undefined : (JSON.parse(body) as { healthy: boolean }[]);
        out.set(b.component, backends ? `balancer ${backends.filter((x) => x.healthy).length}/${backends.length}` : "balancer");
      }),
    );
  }
  for (const [kind, members] of [
    ["scheduler", t.schedulers],
    ["controller-manager", t.controllerManagers],
  ] as const) {
    for (const m of members) jobs.push(text(`http://${m.listen}/leader`, timeoutMs).then((body) => void out.set(m.component, body ? `${kind} ${body.trim()}` : kind)));
  }
  out.set("registry", "registry");
  for (const n of t.nodes) out.set(n.name, "node");
  await Promise.all(jobs);
  return out;
}
