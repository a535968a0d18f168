// The kinds of the API in one table: names, scope, apiVersion and codec. Every generic piece
// (storage keys, the generic resource service, mkctl's resource names) reads this table.
import type { BinaryWriter } from "@bufbuild/protobuf/wire";
import { Deployment, ReplicaSet } from "../gen/mk/v1/apps.js";
import { CronJob, Job } from "../gen/mk/v1/batch.js";
import { Lease } from "../gen/mk/v1/coordination.js";
import { ConfigMap, Event, Namespace, Node, Pod, Secret } from "../gen/mk/v1/core.js";
import { EndpointSlice } from "../gen/mk/v1/discovery.js";
import { Endpoints, Service } from "../gen/mk/v1/service.js";
import type { Object as ApiObject } from "../gen/mk/v1/api.js";
import type { ObjectMeta } from "../gen/mk/v1/meta.js";

export interface KindTypes {
  Namespace: Namespace;
  Node: Node;
  Pod: Pod;
  ReplicaSet: ReplicaSet;
  Deployment: Deployment;
  Lease: Lease;
  Event: Event;
  ConfigMap: ConfigMap;
  Secret: Secret;
  Service: Service;
  Endpoints: Endpoints;
  EndpointSlice: EndpointSlice;
  Job: Job;
  CronJob: CronJob;
}

export type KindName = keyof KindTypes;

/** What ts-proto generates for every message: binary and JSON codecs. */
export interface Codec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: Uint8Array): T;
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
  fromPartial(object: T): T;
}
export type AnyObject = KindTypes[KindName];
/** The oneof case of `Object` for each kind (lower camel case). */
export type KindCase = NonNullable<ApiObject["kind"]>["$case"];

export interface KindInfo<K extends KindName = KindName> {
  readonly kind: K;
  readonly oneof: KindCase;
  /** Lower-case plural, as in Kubernetes' resource names and etcd keys. */
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  readonly apiVersion: string;
  /** The group kubectl prints in messages such as `deployment.apps/web created` ("" for core). */
  readonly group: string;
  readonly codec: Codec<KindTypes[K]>;
}

export const KINDS: { readonly [K in KindName]: KindInfo<K> } = {
  Namespace: {
    kind: "Namespace",
    oneof: "namespace",
    plural: "namespaces",
    singular: "namespace",
    shortNames: ["ns"],
    namespaced: false,
    apiVersion: "v1",
    group: "",
    codec: Namespace,
  },
  Node: {
    kind: "Node",
    oneof: "node",
    plural: "nodes",
    singular: "node",
    shortNames: ["no"],
    namespaced: false,
    apiVersion: "v1",
    group: "",
    codec: Node,
  },
  Pod: {
    kind: "Pod",
    oneof: "pod",
    plural: "pods",
    singular: "pod",
    shortNames: ["po"],
    namespaced: true,
    apiVersion: "v1",
    group: "",
    codec: Pod,
  },
  ReplicaSet: {
    kind: "ReplicaSet",
    oneof: "replicaSet",
    plural: "replicasets",
    singular: "replicaset",
    shortNames: ["rs"],
    namespaced: true,
    apiVersion: "apps/v1",
    group: "apps",
    codec: ReplicaSet,
  },
  Deployment: {
    kind: "Deployment",
    oneof: "deployment",
    plural: "deployments",
    singular: "deployment",
    shortNames: ["deploy"],
    namespaced: true,
    apiVersion: "apps/v1",
    group: "apps",
    codec: Deployment,
  },
  Lease: {
    kind: "Lease",
    oneof: "lease",
    plural: "leases",
    singular: "lease",
    shortNames: [],
    namespaced: true,
    apiVersion: "coordination.k8s.io/v1",
    group: "coordination.k8s.io",
    codec: Lease,
  },
  Event: {
    kind: "Event",
    oneof: "event",
    plural: "events",
    singular: "event",
    shortNames: ["ev"],
    namespaced: true,
    apiVersion: "v1",
    group: "",
    codec: Event,
  },
  ConfigMap: {
    kind: "ConfigMap",
    oneof: "configMap",
    plural: "configmaps",
    singular: "configmap",
    shortNames: ["cm"],
    namespaced: true,
    apiVersion: "v1",
    group: "",
    codec: ConfigMap,
  },
  Secret: {
    kind: "Secret",
    oneof: "secret",
    plural: "secrets",
    singular: "secret",
    shortNames: [],
    namespaced: true,
    apiVersion: "v1",
    group: "",
    codec: Secret,
  },
  Service: {
    kind: "Service",
    oneof: "service",
    plural: "services",
    singular: "service",
    shortNames: ["svc"],
    namespaced: true,
    apiVersion: "v1",
    group: "",
    codec: Service,
  },
  Endpoints: {
    kind: "Endpoints",
    oneof: "endpoints",
    plural: "endpoints",
    singular: "endpoints",
    shortNames: ["ep"],
    namespaced: true,
    apiVersion: "v1",
    group: "",
    codec: Endpoints,
  },
  EndpointSlice: {
    kind: "EndpointSlice",
    oneof: "endpointSlice",
    plural: "endpointslices",
    singular: "endpointslice",
    shortNames: [],
    namespaced: true,
    apiVersion: "discovery.k8s.io/v1",
    group: "discovery.k8s.io",
    codec: EndpointSlice,
  },
  Job: { kind: "Job", oneof: "job", plural: "jobs", singular: "job", shortNames: [], namespaced: true, apiVersion: "batch/v1", group: "batch", codec: Job },
  CronJob: { kind: "CronJob", oneof: "cronJob", plural: "cronjobs", singular: "cronjob", shortNames: ["cj"], namespaced: true, apiVersion: "batch/v1", group: "batch", codec: CronJob },
};

export const KIND_NAMES = Object.keys(KINDS) as KindName[];

const byCase = new Map<string, KindName>(KIND_NAMES.map((k) => [KINDS[k].oneof, k]));

export function isKindName(s: string): s is KindName {
  return Object.hasOwn(KINDS, s);
}

/** Finds a kind by any of the names a kubectl user types: pods, pod, po, Pod, deployment.apps … */
export function lookupKind(name: string): KindInfo | undefined {
  const n = name.toLowerCase().replace(/\.(apps|batch|coordination\.k8s\.io|discovery\.k8s\.io)$/, "");
  for (const k of KIND_NAMES) {
    const info = KINDS[k];
    if (info.kind.toLowerCase() === n || info.plural === n || info.singular === n || info.shortNames.includes(n)) {
      return info as KindInfo;
    }
  }
  return undefined;
}

/** Wraps a typed object into the API's `Object` oneof. */
export function wrap<K extends KindName>(kind: K, obj: KindTypes[K]): ApiObject {
  return { kind: { $case: KINDS[kind].oneof, value: obj } as ApiObject["kind"] };
}

export interface Unwrapped<K extends KindName = KindName> {
  kind: K;
  object: KindTypes[K];
}

/** Unwraps an API `Object`; undefined when it carries no kind. */
export function unwrap(o: ApiObject | undefined): Unwrapped | undefined {
  const k = o?.kind;
  if (!k) return undefined;
  const kind = byCase.get(k.$case);
  if (!kind) return undefined;
  return { kind, object: k.value } as Unwrapped;
}

/** Unwraps an API `Object` that must be of the given kind. */
export function unwrapAs<K extends KindName>(kind: K, o: ApiObject | undefined): KindTypes[K] | undefined {
  const u = unwrap(o);
  return u && u.kind === kind ? (u.object as KindTypes[K]) : undefined;
}

/** The object's metadata, created empty when absent (the object is changed in place). */
export function metaOf(obj: AnyObject): ObjectMeta {
  if (!obj.metadata) {
    obj.metadata = emptyMeta();
  }
  return obj.metadata;
}

export function emptyMeta(partial: Partial<ObjectMeta> = {}): ObjectMeta {
  return {
    name: "",
    generateName: "",
    namespace: "",
    uid: "",
    resourceVersion: "",
    generation: 0,
    labels: {},
    annotations: {},
    ownerReferences: [],
    finalizers: [],
    creationTimestamp: "",
    deletionTimestamp: "",
    ...partial,
  };
}

/** Deep copy through the codec: objects from a cache are read-only, clone before changing. */
export function cloneObject<K extends KindName>(kind: K, obj: KindTypes[K]): KindTypes[K] {
  const codec = KINDS[kind].codec;
  return codec.decode(codec.encode(obj).finish());
}
