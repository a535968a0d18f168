// Service environment variables, exactly as the kubelet makes them (kubernetes pkg/kubelet/envvars
// and kubelet_pods.go getServiceEnvVarMap): for `kubernetes` in default always, and with
// enableServiceLinks (default true) for every Service of the pod's namespace that has a ClusterIP
// (headless ones have none):
//   WEB_SERVICE_HOST=10.96.0.12  WEB_SERVICE_PORT=80  WEB_SERVICE_PORT_HTTP=80 (each named port)
//   WEB_PORT=tcp://10.96.0.12:80 (the first port)
//   WEB_PORT_80_TCP=tcp://10.96.0.12:80 _PROTO=tcp _PORT=80 _ADDR=10.96.0.12 (each port)
// Names are the Service's upper-cased with '-' → '_'. They come after the container's own variables
// and never replace one of them.
import { CLUSTER_IP_NONE, type Service } from "@mk/proto";

/** The Services whose variables every pod gets, wherever it runs (Kubernetes' masterServices). */
const MASTER_SERVICES = new Set(["kubernetes"]);

const envName = (s: string) => s.replace(/-/g, "_").toUpperCase();

function isIpSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIp ?? "";
  return ip !== "" && ip !== CLUSTER_IP_NONE;
}

/** envvars.FromServices, for one Service. */
function fromService(svc: Service): [string, string][] {
  const ports = svc.spec?.ports ?? [];
  const ip = svc.spec?.clusterIp ?? "";
  const prefix = envName(svc.metadata?.name ?? "");
  const first = ports[0];
  if (!first) return [];
  const out: [string, string][] = [
    [`${prefix}_SERVICE_HOST`, ip],
    [`${prefix}_SERVICE_PORT`, String(first.port)],
  ];
  for (const p of ports) if (p.name) out.push([`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.port)]);
  ports.forEach((p, i) => {
    const proto = (p.protocol || "TCP").toLowerCase();
    const url = `${proto}://${ip}:${p.port}`;
    if (i === 0) out.push([`${prefix}_PORT`, url]);
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push([pp, url], [`${pp}_PROTO`, proto], [`${pp}_PORT`, String(p.port)], [`${pp}_ADDR`, ip]);
  });
  return out;
}

/**
 * The variables for a pod of `namespace` from `services` (those of its namespace and of default),
 * sorted by name (Kubernetes' order comes from a map: unspecified).
 */
export function serviceEnv(services: readonly Service[], namespace: string, enableServiceLinks: boolean): [string, string][] {
  const chosen = new Map<string, Service>();
  for (const svc of services) {
    if (!isIpSet(svc)) continue;
    const name = svc.metadata?.name ?? "";
    const ns = svc.metadata?.namespace || "default";
    if (ns === "default" && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, svc);
    } else if (ns === namespace && enableServiceLinks) {
      chosen.set(name, svc);
    }
  }
  const vars = new Map<string, string>();
  for (const svc of chosen.values()) for (const [k, v] of fromService(svc)) vars.set(k, v);
  return [...vars].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The container's environment followed by the Service variables it does not set itself. */
export function withServiceEnv(env: string[], service: [string, string][]): string[] {
  const own = new Set(env.map((e) => e.slice(0, e.indexOf("="))));
  return [...env, ...service.filter(([k]) => !own.has(k)).map(([k, v]) => `${k}=${v}`)];
}
