// The Scale subresource of Deployments and ReplicaSets: read and change spec.replicas alone.
import { type Deployment, emptyMeta, metaOf, type ReplicaSet, type Scale, selectorToString } from "@mk/proto";
import { BadRequestError } from "@mk/proto/client";
import { checkResourceVersion, type Store } from "./store.js";
import { type Errors, nonNegative, throwIfInvalid } from "./validation.js";

export type ScalableKind = "Deployment" | "ReplicaSet";

export function scalableKind(kind: string): ScalableKind {
  if (kind === "Deployment" || kind === "ReplicaSet") return kind;
  throw new BadRequestError(`the server could not find the requested resource: ${kind || "(no kind)"} has no scale subresource`);
}

export function scaleOf(obj: Deployment | ReplicaSet): Scale {
  const meta = metaOf(obj);
  return {
    apiVersion: "autoscaling/v1",
    kind: "Scale",
    metadata: emptyMeta({
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    }),
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: selectorToString(obj.spec?.selector) },
  };
}

export async function getScale(store: Store, kind: ScalableKind, namespace: string, name: string): Promise<Scale> {
  return scaleOf(await store.get(kind, namespace, name));
}

/** Sets spec.replicas alone, through the kind's validation and the one generation bump. */
export async function updateScale(
  store: Store,
  kind: ScalableKind,
  req: { namespace: string; name: string; replicas: number; resourceVersion: string },
): Promise<Scale> {
  const errs: Errors = [];
  nonNegative("spec.replicas", req.replicas, errs);
  throwIfInvalid("Scale", req.name, errs);
  const out = await store.guaranteedUpdate(kind, req.namespace, req.name, { operation: "scale", dryRun: false, retryOnConflict: !req.resourceVersion }, (current) => {
    checkResourceVersion(kind, req.resourceVersion, current);
    const next: Deployment | ReplicaSet = store.copyOf(kind, current);
    if (!next.spec) throw new BadRequestError(`${kind} ${req.name} has no spec`);
    next.spec.replicas = req.replicas;
    return next;
  });
  return scaleOf(out.object);
}
