// Read-only views of cached objects: what informers hand out and what the pure planners accept.
// A mutable object is assignable to these, so tests and the API's answers fit too.
import type { Deployment, Pod, PodTemplateSpec, ReplicaSet } from "@mk/proto";
import type { DeepReadonly } from "@mk/proto/informer";

export type RS = DeepReadonly<ReplicaSet>;
export type RoDeployment = DeepReadonly<Deployment>;
export type RoPod = DeepReadonly<Pod>;
export type RoTemplate = DeepReadonly<PodTemplateSpec>;
