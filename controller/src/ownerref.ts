// Owner references: the controller reference that ties a Pod to its ReplicaSet and a ReplicaSet to
// its Deployment, and the garbage collector's view of them.
import type { ObjectMeta, OwnerReference } from "@mk/proto";
import type { DeepReadonly } from "@mk/proto/informer";

type Meta = { readonly metadata?: DeepReadonly<ObjectMeta> | undefined };

export function controllerRefOf(obj: Meta): DeepReadonly<OwnerReference> | undefined {
  return obj.metadata?.ownerReferences.find((r) => r.controller === true);
}

export function newControllerRef(owner: Meta, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata?.name ?? "",
    uid: owner.metadata?.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}
