// Patch, as kube-apiserver's patcher: inside one guaranteedUpdate, the stored object is encoded to
// Kubernetes' JSON, the patch applied (@mk/proto/api: JSON patch, merge patch, strategic merge
// patch), the result checked against the schema (unknown fields and wrong types refused by name)
// and decoded, then written as an update (or a status update) with the kind's defaults and
// validation. A patch that names no resourceVersion is repeated on a lost race, as Kubernetes
// does; one that names it is a precondition, and a conflict is the answer.
import {
  applyPatch,
  fromK8s,
  isJsonObject,
  type Json,
  type JsonObject,
  KINDS,
  type KindName,
  type KindTypes,
  metaOf,
  PatchError,
  type PatchType,
  type Schema,
  toK8s,
} from "@mk/proto/api";
import { BadRequestError, InvalidError, invalidMessage } from "@mk/proto/client";
import { checkResourceVersion, type Store } from "./store.js";
import { groupKind } from "../storage/keys.js";
import { showShort as shown, throwIfInvalid } from "./validation.js";

export interface PatchOptions {
  type: PatchType;
  patch: Json;
  /** Patch the status subresource: only status changes. */
  statusOnly: boolean;
  dryRun: boolean;
}

/** The resourceVersion the patch sets, if any: then it is a precondition. */
function pinnedVersion(type: PatchType, patch: Json): string | undefined {
  if (type === "json") {
    if (!Array.isArray(patch)) return undefined;
    for (const op of patch) if (isJsonObject(op) && op.path === "/metadata/resourceVersion" && typeof op.value === "string") return op.value;
    return undefined;
  }
  const meta = isJsonObject(patch) ? patch.metadata : undefined;
  return isJsonObject(meta) && typeof meta.resourceVersion === "string" ? meta.resourceVersion : undefined;
}

/** A PatchError as the API answers it: a malformed patch is a BadRequest, one that does not apply is Invalid (422). */
export function patchFailure(kind: KindName, name: string, err: PatchError): Error {
  if (!err.failed) return new BadRequestError(`invalid patch: ${err.message}`, { cause: err });
  const fields = [{ field: err.path || "patch", type: "Invalid", detail: err.detail }];
  return new InvalidError(invalidMessage(groupKind(kind), name, fields), fields, { cause: err });
}

export async function patchObject<K extends KindName>(store: Store, schema: Schema, kind: K, namespace: string, name: string, opts: PatchOptions): Promise<KindTypes[K]> {
  const info = KINDS[kind];
  const pinned = pinnedVersion(opts.type, opts.patch);
  const out = await store.guaranteedUpdate(
    kind,
    namespace,
    name,
    { operation: opts.statusOnly ? "status" : "update", dryRun: opts.dryRun, retryOnConflict: pinned === undefined },
    (current) => {
      if (pinned !== undefined) checkResourceVersion(kind, pinned, current);
      let patched: JsonObject;
      try {
        patched = applyPatch(schema, kind, opts.type, toK8s(info, current), opts.patch);
      } catch (err) {
        if (err instanceof PatchError) throw patchFailure(kind, name, err);
        throw err;
      }
      const { errors, cleaned } = schema.check(kind, patched);
      throwIfInvalid(kind, name, errors);
      if (patched.kind !== undefined && patched.kind !== info.kind) throw new BadRequestError(`the patch changes kind to "${String(patched.kind)}": the kind of an object cannot change`);
      if (patched.apiVersion !== undefined && patched.apiVersion !== info.apiVersion) throw new BadRequestError(`the patch changes apiVersion to "${String(patched.apiVersion)}": this resource is served as ${info.apiVersion}`);
      const sent = fromK8s(info, cleaned) as KindTypes[K];
      const meta = metaOf(sent);
      const old = metaOf(current);
      if (meta.name !== old.name) throw new BadRequestError(`metadata.name: Invalid value: ${shown(meta.name)}: the name of the object does not match the name on the URL (${JSON.stringify(old.name)})`);
      if (meta.namespace !== old.namespace) {
        throw new BadRequestError(`metadata.namespace: Invalid value: ${shown(meta.namespace)}: the namespace of the object does not match the namespace on the URL (${JSON.stringify(old.namespace)})`);
      }
      return store.nextOf(kind, current, sent, opts.statusOnly);
    },
  );
  return out.object;
}
