// Kubernetes' classifyReferences: each owner a dependent names is solid (there, and staying), dangling
// (gone, or replaced by a new object of that name) or waiting (being deleted in Foreground: it waits
// for its dependents). Owners are read from the API, not the cache: the cache may lag behind, and a
// delete decided on a stale cache cannot be taken back.
import { isKindName, KINDS, type OwnerReference } from "@mk/proto";
import { type Clientset, isNotFound } from "@mk/proto/client";
import type { DeepReadonly } from "@mk/proto/informer";

export const FOREGROUND_FINALIZER = "foregroundDeletion";
export const ORPHAN_FINALIZER = "orphan";

export type OwnerState = "solid" | "dangling" | "waiting";
type Ref = DeepReadonly<OwnerReference>;

export interface ClassifiedOwners {
  solid: Ref[];
  dangling: Ref[];
  waiting: Ref[];
}

/**
 * The state of one owner of a dependent in `namespace` ("" for a cluster-scoped dependent). An owner
 * of a kind the API does not serve, or a namespaced owner of a cluster-scoped dependent (an invalid
 * reference), counts as solid: Kubernetes leaves such dependents alone, and so does mk.
 */
export async function ownerState(client: Pick<Clientset, "resource">, ref: Ref, namespace: string): Promise<OwnerState> {
  if (!isKindName(ref.kind)) return "solid";
  const namespaced = KINDS[ref.kind].namespaced;
  if (namespaced && !namespace) return "solid";
  try {
    const owner = await client.resource(ref.kind).get(ref.name, namespaced ? namespace : "");
    const m = owner.metadata;
    if (m?.uid !== ref.uid) return "dangling";
    return m.deletionTimestamp && m.finalizers.includes(FOREGROUND_FINALIZER) ? "waiting" : "solid";
  } catch (err) {
    if (isNotFound(err)) return "dangling";
    throw err;
  }
}

export async function classifyOwners(client: Pick<Clientset, "resource">, refs: readonly Ref[], namespace: string): Promise<ClassifiedOwners> {
  const out: ClassifiedOwners = { solid: [], dangling: [], waiting: [] };
  for (const ref of refs) out[await ownerState(client, ref, namespace)].push(ref);
  return out;
}
