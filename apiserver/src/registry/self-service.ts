// Services the API server itself provides, with no selector: each API server adds its own address
// and ports to the Service's Endpoints and EndpointSlice (kube-apiserver's endpoint reconciler does
// so for `kubernetes`), so clients reach whichever answers; endpoint-leases.ts takes out those whose
// lease in etcd is gone. Two of them:
//   default/kubernetes   the API, at the first address of the service range (10.96.0.1);
//   kube-system/kube-dns  the cluster DNS server every API server runs (dns/), at the tenth (10.96.0.10).
import {
  type EndpointPort,
  type EndpointSlice,
  type Endpoints,
  emptyMeta,
  KUBE_DNS_LABELS,
  KUBE_DNS_NAMESPACE,
  KUBE_DNS_SERVICE,
  DNS_PORT_TCP,
  DNS_PORT_UDP,
  type KindName,
  type KindTypes,
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
  type Service,
} from "@mk/proto";
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError } from "@mk/proto/client";
import type { Logger } from "pino";
import type { Store } from "./store.js";

export const KUBERNETES_SERVICE = "kubernetes";
/** The API server's own slices are not the endpoint controller's: a label says who manages them. */
const MANAGED_BY_APISERVER = "mk-apiserver";

export interface SelfServicePort {
  name: string;
  protocol: "TCP" | "UDP";
  /** The Service's port. */
  port: number;
  /** Where this API server answers it (its endpoint's port). */
  targetPort: number;
}

export interface SelfService {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  clusterIp: string;
  ports: SelfServicePort[];
}

/** default/kubernetes: 443 → this server's API port. */
export function kubernetesService(clusterIp: string, apiPort: number): SelfService {
  return { name: KUBERNETES_SERVICE, namespace: "default", labels: { component: "apiserver", provider: "kubernetes" }, clusterIp, ports: [{ name: "https", protocol: "TCP", port: 443, targetPort: apiPort }] };
}

/** kube-system/kube-dns: 53/UDP and 53/TCP → this server's DNS port (the same number for both). */
export function kubeDnsService(clusterIp: string, dnsPort: number): SelfService {
  return {
    name: KUBE_DNS_SERVICE,
    namespace: KUBE_DNS_NAMESPACE,
    labels: { ...KUBE_DNS_LABELS },
    clusterIp,
    ports: [
      { name: DNS_PORT_UDP, protocol: "UDP", port: 53, targetPort: dnsPort },
      { name: DNS_PORT_TCP, protocol: "TCP", port: 53, targetPort: dnsPort },
    ],
  };
}

function serviceObject(s: SelfService): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: emptyMeta({ name: s.name, namespace: s.namespace, labels: { ...s.labels } }),
    spec: {
      ports: s.ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port, targetPort: String(p.targetPort), nodePort: 0 })),
      selector: {},
      clusterIp: s.clusterIp,
      clusterIps: [],
      type: "ClusterIP",
      sessionAffinity: "None",
      publishNotReadyAddresses: false,
      externalTrafficPolicy: "",
      internalTrafficPolicy: "",
    },
    status: undefined,
  };
}

async function exists<K extends KindName>(store: Store, kind: K, namespace: string, name: string): Promise<boolean> {
  try {
    await store.get(kind, namespace, name);
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}

/** Tries of createIfAbsent: another API server's create may hold the address for a moment before its object lands. */
const CREATE_ATTEMPTS = 10;

async function createIfAbsent<K extends KindName>(store: Store, kind: K, obj: KindTypes[K]): Promise<void> {
  const namespace = obj.metadata?.namespace ?? "";
  const name = obj.metadata?.name ?? "";
  for (let attempt = 1; ; attempt++) {
    // Read first: a create of a Service that exists would try to take its address, held by itself.
    if (await exists(store, kind, namespace, name)) return;
    try {
      await store.create(kind, store.copyOf(kind, obj), false);
      return;
    } catch (err) {
      // Two API servers starting together: the other one's create won (AlreadyExists, or for the
      // Service its address "already allocated" while its object is on its way).
      if (!(err instanceof AlreadyExistsError || err instanceof InvalidError) || attempt >= CREATE_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The ports of this server's endpoint: where it answers each of the Service's ports. */
export function selfEndpointPorts(s: SelfService): EndpointPort[] {
  return s.ports.map((p) => ({ name: p.name, port: p.targetPort, protocol: p.protocol }));
}

/**
 * Creates the Service, its Endpoints and its EndpointSlice when absent, then adds `selfIp` to both
 * with this server's ports. Servers of one cluster share a port list (the last one's wins), so they
 * are started with the same ports, as kube-apiserver's are.
 */
export async function ensureSelfService(store: Store, s: SelfService, selfIp: string, log: Logger): Promise<void> {
  await createIfAbsent(store, "Service", serviceObject(s));
  const endpointPorts = selfEndpointPorts(s);
  const endpoints: Endpoints = {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: emptyMeta({ name: s.name, namespace: s.namespace, labels: { ...s.labels } }),
    subsets: [{ addresses: [], notReadyAddresses: [], ports: endpointPorts }],
  };
  const slice: EndpointSlice = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: emptyMeta({ name: s.name, namespace: s.namespace, labels: { ...s.labels, [SERVICE_NAME_LABEL]: s.name, [MANAGED_BY_LABEL]: MANAGED_BY_APISERVER } }),
    addressType: "IPv4",
    endpoints: [],
    ports: endpointPorts,
  };
  await createIfAbsent(store, "Endpoints", endpoints);
  await createIfAbsent(store, "EndpointSlice", slice);
  const opts = { operation: "update" as const, dryRun: false, retryOnConflict: true };
  try {
    await store.guaranteedUpdate("Endpoints", s.namespace, s.name, opts, (cur) => {
      const next = store.copyOf("Endpoints", cur);
      const subset = next.subsets[0] ?? { addresses: [], notReadyAddresses: [], ports: [] };
      if (!subset.addresses.some((a) => a.ip === selfIp)) subset.addresses.push({ ip: selfIp, hostname: "", targetRef: undefined });
      subset.ports = endpointPorts.map((p) => ({ ...p }));
      next.subsets = [subset];
      return next;
    });
    await store.guaranteedUpdate("EndpointSlice", s.namespace, s.name, opts, (cur) => {
      const next = store.copyOf("EndpointSlice", cur);
      if (!next.endpoints.some((e) => e.addresses[0] === selfIp)) next.endpoints.push({ addresses: [selfIp], conditions: { ready: true, serving: true, terminating: false }, targetRef: undefined });
      next.ports = endpointPorts.map((p) => ({ ...p }));
      return next;
    });
  } catch (err) {
    // Someone deleted them in between, or too many API servers raced: the next start repairs it.
    if (!(err instanceof NotFoundError || err instanceof ConflictError)) throw err;
    log.warn({ service: `${s.namespace}/${s.name}`, err: err.message }, "self endpoints not updated");
  }
  log.info({ service: `${s.namespace}/${s.name}`, clusterIP: s.clusterIp, endpoint: selfIp, ports: s.ports.map((p) => p.targetPort) }, "service ensured");
}
