// The `kubernetes` Service in `default`: the API server's own address for pods, at the first
// address of the service range (10.96.0.1 with the default 10.96.0.0/12), as in Kubernetes. It has
// no selector; each API server adds itself to its Endpoints and EndpointSlice (kube-apiserver's
// endpoint reconciler does the same), so pods reach whichever answers.
import { type EndpointSlice, type Endpoints, emptyMeta, type KindName, type KindTypes, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, type Service } from "@mk/proto";
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError } from "@mk/proto/client";
import type { Logger } from "pino";
import type { Store } from "./store.js";

export const KUBERNETES_SERVICE = "kubernetes";
const NAMESPACE = "default";
/** The API server's own slice is not the endpoint controller's: a label says who manages it. */
const MANAGED_BY_APISERVER = "mk-apiserver";

export interface ApiEndpoint {
  /** The address pods reach the API server at (--advertise-address). */
  ip: string;
  port: number;
}

function service(clusterIp: string): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: emptyMeta({ name: KUBERNETES_SERVICE, namespace: NAMESPACE, labels: { component: "apiserver", provider: "kubernetes" } }),
    spec: {
      ports: [{ name: "https", protocol: "TCP", port: 443, targetPort: "", nodePort: 0 }],
      selector: {},
      clusterIp,
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

export async function ensureKubernetesService(store: Store, clusterIp: string, self: ApiEndpoint, log: Logger): Promise<void> {
  await createIfAbsent(store, "Service", service(clusterIp));
  const endpoints: Endpoints = {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: emptyMeta({ name: KUBERNETES_SERVICE, namespace: NAMESPACE }),
    subsets: [{ addresses: [], notReadyAddresses: [], ports: [{ name: "https", port: self.port, protocol: "TCP" }] }],
  };
  const slice: EndpointSlice = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: emptyMeta({ name: KUBERNETES_SERVICE, namespace: NAMESPACE, labels: { [SERVICE_NAME_LABEL]: KUBERNETES_SERVICE, [MANAGED_BY_LABEL]: MANAGED_BY_APISERVER } }),
    addressType: "IPv4",
    endpoints: [],
    ports: [{ name: "https", protocol: "TCP", port: self.port }],
  };
  await createIfAbsent(store, "Endpoints", endpoints);
  await createIfAbsent(store, "EndpointSlice", slice);
  const opts = { operation: "update" as const, dryRun: false, retryOnConflict: true };
  try {
    await store.guaranteedUpdate("Endpoints", NAMESPACE, KUBERNETES_SERVICE, opts, (cur) => {
      const next = store.copyOf("Endpoints", cur);
      const subset = next.subsets[0] ?? { addresses: [], notReadyAddresses: [], ports: [] };
      if (!subset.addresses.some((a) => a.ip === self.ip)) subset.addresses.push({ ip: self.ip, hostname: "", targetRef: undefined });
      subset.ports = [{ name: "https", port: self.port, protocol: "TCP" }];
      next.subsets = [subset];
      return next;
    });
    await store.guaranteedUpdate("EndpointSlice", NAMESPACE, KUBERNETES_SERVICE, opts, (cur) => {
      const next = store.copyOf("EndpointSlice", cur);
      if (!next.endpoints.some((e) => e.addresses[0] === self.ip)) next.endpoints.push({ addresses: [self.ip], conditions: { ready: true, serving: true, terminating: false }, targetRef: undefined });
      next.ports = [{ name: "https", protocol: "TCP", port: self.port }];
      return next;
    });
  } catch (err) {
    // Someone deleted them in between, or too many API servers raced: the next start repairs it.
    if (!(err instanceof NotFoundError || err instanceof ConflictError)) throw err;
    log.warn({ err: err.message }, "kubernetes endpoints not updated");
  }
  log.info({ clusterIP: clusterIp, endpoint: `${self.ip}:${self.port}` }, "kubernetes service ensured");
}
