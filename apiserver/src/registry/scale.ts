// The Scale subresource of Deployments and ReplicaSets: read and change spec.replicas alone.
import { type Deployment, emptyMeta, metaOf, type ReplicaSet, type Scale, selectorToString } from "@mk/proto";
import { BadRequestError, ConflictError } from "@mk/proto/client";
import type { Store } from "./store.js";
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

export async function updateScale(
  store: Store,
  kind: ScalableKind,
  req: { namespace: string; name: string; replicas: number; resourceVersion: string },
): Promise<Scale> {
  const errs: Errors = [];
  nonNegative("spec.replicas", req.replicas, errs);
  throwIfInvalid("Scale", req.name, errs);
  for (let attempt = 0; ; attempt++) {
    const obj = await store.get(kind, req.namespace, req.name);
    const meta = metaOf(obj);
    if (req.resourceVersion && req.resourceVersion !== meta.resourceVersion) {
      throw new ConflictError(
        `Operation cannot be fulfilled on ${kind === "Deployment" ? "deployments.apps" : "replicasets.apps"} "${req.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    if (!obj.spec) throw new BadRequestError(`${kind} ${req.name} has no spec`);
    if (obj.spec.replicas === req.replicas) return scaleOf(obj);
    obj.spec.replicas = req.replicas;
    meta.generation += 1;
    try {
      const written = kind === "Deployment" ? await store.storage.update("Deployment", obj as Deployment, meta.resourceVersion) : await store.storage.update("ReplicaSet", obj as ReplicaSet, meta.resourceVersion);
      return scaleOf(written);
    } catch (err) {
      if (err instanceof ConflictError && !req.resourceVersion && attempt < 20) continue;
      throw err;
    }
  }
}
