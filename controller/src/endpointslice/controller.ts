// The endpoint controller (Kubernetes' endpointslice and endpoints controllers in one): for every
// Service with a selector, the EndpointSlices (discovery.k8s.io/v1) and the v1 Endpoints that list
// the pods behind it — ready ones, not-ready ones marked not ready, terminating ones marked
// terminating — with their resolved ports and hostnames. Work items are Service keys; a pod's change
// enqueues the Services whose selectors match it before or after.
import {
  ENDPOINTSLICE_CONTROLLER,
  type EndpointSlice,
  type Endpoints,
  emptyMeta,
  MANAGED_BY_LABEL,
  type Pod,
  SERVICE_NAME_LABEL,
  type Service,
} from "@mk/proto";
import { type Clientset, isAlreadyExists, isNotFound } from "@mk/proto/client";
import { type DeepReadonly, ensureIndexer, type Informer, objectKey, runController, WorkQueue } from "@mk/proto/informer";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics.js";
import { newControllerRef } from "../ownerref.js";
import { desiredGroups, type PortGroup, sliceName, subsetsOf } from "./desired.js";

const CONTROLLER = "endpointslice";
const SERVICE_INDEX = "endpointslice:service";

export interface EndpointSliceControllerOptions {
  client: Clientset;
  serviceInformer: Informer<Service>;
  podInformer: Informer<Pod>;
  sliceInformer: Informer<EndpointSlice>;
  endpointsInformer: Informer<Endpoints>;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
}

type RoService = DeepReadonly<Service>;

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf("/");
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Equal as JSON: what the controller wrote compares equal to what it would write again. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class EndpointSliceController {
  readonly queue: WorkQueue;
  private readonly o: EndpointSliceControllerOptions;
  private readonly log: Logger;

  constructor(o: EndpointSliceControllerOptions) {
    this.o = o;
    this.log = o.logger.child({ controller: CONTROLLER });
    this.queue = new WorkQueue({ name: CONTROLLER });
    ensureIndexer(o.sliceInformer.store, SERVICE_INDEX, (s) => {
      const labels = s.metadata?.labels ?? {};
      const svc = labels[SERVICE_NAME_LABEL];
      return svc && labels[MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER ? [keyOf(s.metadata?.namespace ?? "", svc)] : [];
    });
    o.serviceInformer.addEventHandler({
      add: (s) => this.queue.add(objectKey(s)),
      update: (_old, s) => this.queue.add(objectKey(s)),
      delete: (s) => this.queue.add(objectKey(s)),
    });
    o.podInformer.addEventHandler({
      add: (p) => this.podChanged(p),
      update: (old, p) => {
        this.podChanged(old);
        this.podChanged(p);
      },
      delete: (p) => this.podChanged(p),
    });
    // A slice changed or deleted by someone else is put back.
    o.sliceInformer.addEventHandler({
      update: (_old, s) => this.sliceChanged(s),
      delete: (s) => this.sliceChanged(s),
    });
  }

  run(workers: number, signal: AbortSignal): Promise<void> {
    const { serviceInformer, podInformer, sliceInformer, endpointsInformer, metrics } = this.o;
    return runController(
      {
        name: CONTROLLER,
        queue: this.queue,
        informers: [serviceInformer, podInformer, sliceInformer, endpointsInformer],
        workers,
        sync: (key) => this.sync(key),
        objectFor: (key) => serviceInformer.store.get(key),
        metrics,
        logger: this.log,
      },
      signal,
    );
  }

  private podChanged(p: DeepReadonly<Pod>): void {
    const ns = p.metadata?.namespace ?? "";
    const labels = p.metadata?.labels ?? {};
    for (const svc of this.o.serviceInformer.store.listByNamespace(ns)) {
      const selector = svc.spec?.selector ?? {};
      const keys = Object.keys(selector);
      if (keys.length > 0 && keys.every((k) => labels[k] === selector[k])) this.queue.add(objectKey(svc));
    }
  }

  private sliceChanged(s: DeepReadonly<EndpointSlice>): void {
    const labels = s.metadata?.labels ?? {};
    const svc = labels[SERVICE_NAME_LABEL];
    if (svc && labels[MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER) this.queue.add(keyOf(s.metadata?.namespace ?? "", svc));
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.o.serviceInformer.store.get(key);
    const existing = this.o.sliceInformer.store.byIndex(SERVICE_INDEX, key);
    // Gone, or not ours to manage (no selector: its endpoints are written by hand, as `kubernetes`'s).
    if (!svc || Object.keys(svc.spec?.selector ?? {}).length === 0) {
      for (const s of existing) await this.deleteSlice(namespace, s.metadata?.name ?? "");
      if (!svc) await this.deleteEndpoints(namespace, name);
      return;
    }
    const pods = this.o.podInformer.store.listByNamespace(namespace);
    const groups = desiredGroups(svc, pods);
    const wanted = new Map(groups.map((g) => [sliceName(name, g.signature), g]));
    for (const [sliceKey, group] of wanted) await this.writeSlice(svc, sliceKey, group);
    for (const s of existing) {
      const n = s.metadata?.name ?? "";
      if (!wanted.has(n)) await this.deleteSlice(namespace, n);
    }
    await this.writeEndpoints(svc, groups);
  }

  private ownerMeta(svc: RoService, name: string, labels: Record<string, string>) {
    return emptyMeta({
      name,
      namespace: svc.metadata?.namespace ?? "",
      labels,
      ownerReferences: [newControllerRef(svc, "v1", "Service")],
    });
  }

  private async writeSlice(svc: RoService, name: string, group: PortGroup): Promise<void> {
    const ns = svc.metadata?.namespace ?? "";
    const labels = { [SERVICE_NAME_LABEL]: svc.metadata?.name ?? "", [MANAGED_BY_LABEL]: ENDPOINTSLICE_CONTROLLER };
    const current = this.o.sliceInformer.store.get(keyOf(ns, name));
    if (current && same(current.endpoints, group.endpoints) && same(current.ports, group.ports) && same(current.metadata?.labels, labels)) return;
    const slice: EndpointSlice = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: this.ownerMeta(svc, name, labels),
      addressType: "IPv4",
      endpoints: group.endpoints,
      ports: group.ports,
    };
    if (current) {
      // The cached resourceVersion: a newer write by someone else is a conflict, retried with backoff.
      if (slice.metadata) slice.metadata.resourceVersion = current.metadata?.resourceVersion ?? "";
      await this.o.client.endpointSlices.update(slice);
      return;
    }
    try {
      await this.o.client.endpointSlices.create(slice);
    } catch (err) {
      // The cache has not seen our own create yet: the next sync compares against it.
      if (!isAlreadyExists(err)) throw err;
      this.queue.add(keyOf(ns, svc.metadata?.name ?? ""));
    }
  }

  private async writeEndpoints(svc: RoService, groups: readonly PortGroup[]): Promise<void> {
    const ns = svc.metadata?.namespace ?? "";
    const name = svc.metadata?.name ?? "";
    const subsets = subsetsOf(groups, (svc.spec?.ports.length ?? 0) > 0);
    const current = this.o.endpointsInformer.store.get(keyOf(ns, name));
    if (current && same(current.subsets, subsets)) return;
    const ep: Endpoints = { apiVersion: "v1", kind: "Endpoints", metadata: this.ownerMeta(svc, name, { ...(svc.metadata?.labels ?? {}) }), subsets };
    if (current) {
      if (ep.metadata) ep.metadata.resourceVersion = current.metadata?.resourceVersion ?? "";
      await this.o.client.endpoints.update(ep);
      return;
    }
    try {
      await this.o.client.endpoints.create(ep);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      this.queue.add(keyOf(ns, name));
    }
  }

  private async deleteSlice(namespace: string, name: string): Promise<void> {
    try {
      await this.o.client.endpointSlices.delete(name, namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err; // gone already
    }
  }

  private async deleteEndpoints(namespace: string, name: string): Promise<void> {
    const current = this.o.endpointsInformer.store.get(keyOf(namespace, name));
    // Only the Endpoints this controller wrote (owned by a Service), never a hand-written one.
    if (!current?.metadata?.ownerReferences.some((r) => r.kind === "Service")) return;
    try {
      await this.o.client.endpoints.delete(name, namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err; // gone already
    }
  }
}
