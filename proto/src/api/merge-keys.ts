// How strategic merge patch treats each list and struct of the kinds, as Kubernetes' types.go marks
// them (`patchStrategy:"merge" patchMergeKey:"name"`), in one table keyed by the proto message and
// the field's JSON name. Lists not listed here are atomic: a patch replaces them whole (command,
// args, tolerations, taints, envFrom, …, as in Kubernetes). The OpenAPI document's
// x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key can be generated from the same table.

export interface PatchStrategy {
  /** "merge": lists merge item by item (by mergeKey, or as a set of primitives); "retainKeys": a struct whose unset keys are cleared. */
  readonly strategy: "merge" | "retainKeys" | "merge,retainKeys";
  /** The key identifying an item of a list of objects (absent for a merged list of primitives). */
  readonly mergeKey?: string;
}

export const PATCH_STRATEGIES: { readonly [messageField: string]: PatchStrategy } = {
  ".mk.v1.ObjectMeta.ownerReferences": { strategy: "merge", mergeKey: "uid" },
  ".mk.v1.ObjectMeta.finalizers": { strategy: "merge" },
  ".mk.v1.PodSpec.containers": { strategy: "merge", mergeKey: "name" },
  ".mk.v1.PodSpec.initContainers": { strategy: "merge", mergeKey: "name" },
  ".mk.v1.PodSpec.volumes": { strategy: "merge,retainKeys", mergeKey: "name" },
  ".mk.v1.Container.env": { strategy: "merge", mergeKey: "name" },
  // Kubernetes' merge key is containerPort alone (protocol is a list-map key only for server-side apply).
  ".mk.v1.Container.ports": { strategy: "merge", mergeKey: "containerPort" },
  ".mk.v1.Container.volumeMounts": { strategy: "merge", mergeKey: "mountPath" },
  ".mk.v1.PodStatus.conditions": { strategy: "merge", mergeKey: "type" },
  ".mk.v1.PodStatus.podIPs": { strategy: "merge", mergeKey: "ip" },
  ".mk.v1.NodeSpec.podCIDRs": { strategy: "merge" },
  ".mk.v1.NodeStatus.conditions": { strategy: "merge", mergeKey: "type" },
  ".mk.v1.NodeStatus.addresses": { strategy: "merge", mergeKey: "type" },
  ".mk.v1.ServiceSpec.ports": { strategy: "merge", mergeKey: "port" },
  ".mk.v1.DeploymentSpec.strategy": { strategy: "retainKeys" },
  ".mk.v1.DeploymentStatus.conditions": { strategy: "merge", mergeKey: "type" },
  ".mk.v1.ReplicaSetStatus.conditions": { strategy: "merge", mergeKey: "type" },
  ".mk.v1.JobStatus.conditions": { strategy: "merge", mergeKey: "type" },
  ".mk.v1.NamespaceSpec.finalizers": { strategy: "merge" },
};

/** The patch strategy of `message.field` (`.mk.v1.PodSpec`, `containers`), if it is not atomic. */
export function patchStrategyOf(message: string, field: string): PatchStrategy | undefined {
  return PATCH_STRATEGIES[`${message}.${field}`];
}
