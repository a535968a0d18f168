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
  MAX_JSON_DEPTH,
  metaOf,
  PatchError,
  type PatchType,
  type Schema,
  toK8s,
  tooDeep,
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

/**
 * A patch nested deeper than any object can be (MAX_JSON_DEPTH), refused naming where, before the
 * recursive patch code could run out of stack on it: a JSON patch by its operation, the others by
 * their field path.
 */
export function checkPatchDepth(type: PatchType, patch: Json): void {
  if (type === "json" && Array.isArray(patch)) {
    patch.forEach((op, i) => {
      const deep = tooDeep(op, MAX_JSON_DEPTH + 1);
      if (deep !== undefined) {
        const at = isJsonObject(op) ? `[${i}] ${String(op.op)} ${String(op.path)}` : `[${i}]`;
        throw new BadRequestError(`invalid patch: ${at}: the value is nested deeper than ${MAX_JSON_DEPTH} levels`);
      }
    });
    return;
  }
  const deep = tooDeep(patch);
  if (deep !== undefined) throw new BadRequestError(`invalid patch: ${deep}: nested deeper than ${MAX_JSON_DEPTH} levels`);
}

export async function patchObject<K extends KindName>(store: Store, schema: Schema, kind: K, namespace: string, name: string, opts: PatchOptions): Promise<KindTypes[K]> {
  const info = KINDS[kind];
  checkPatchDepth(opts.type, opts.patch);
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
