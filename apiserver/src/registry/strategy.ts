// What differs between kinds, as a small interface: defaults, validation, and the status subresource.
import type { KindName, KindTypes } from "@mk/proto";
import type { Errors, NameRule } from "./validation.js";

/**
 * The write that changes a stored object. Every one goes through the store's guaranteedUpdate and
 * the kind's validateUpdate, which may allow a change for one and not another (a pod's spec.nodeName
 * is set by "bind" only).
 */
export type UpdateOperation = "update" | "status" | "scale" | "bind" | "delete";

export interface Strategy<K extends KindName = KindName> {
  readonly kind: K;
  /** DNS-1123 label (namespaces) or subdomain (the rest) for metadata.name. */
  readonly nameRule: NameRule;
  /** Status is a subresource: Update keeps the stored status and UpdateStatus changes only status. */
  readonly hasStatus: boolean;
  /** Kubernetes' defaults, filled in place on create and update. */
  defaults(obj: KindTypes[K]): void;
  /** What the server sets on create, whatever the client sent (e.g. a new pod's phase Pending). */
  prepareForCreate(obj: KindTypes[K]): void;
  /** Carries into an update what the client may leave out and the server owns (a Service's ClusterIP). */
  prepareForUpdate?(obj: KindTypes[K], old: KindTypes[K]): void;
  /** Every error of the kind's own fields (metadata is checked by the store). */
  validate(obj: KindTypes[K]): Errors;
  /** Further errors of an update: fields that may not change (through this operation). */
  validateUpdate(obj: KindTypes[K], old: KindTypes[K], operation: UpdateOperation): Errors;
}

/** The strategy of every kind: the store's one source of what differs between kinds. */
export type StrategyTable = { readonly [K in KindName]: Strategy<K> };

/** The spec and status of any kind, for the generic store (Lease has no status, Event neither). */
export interface Parts {
  apiVersion: string;
  kind: string;
  spec?: unknown;
  status?: unknown;
}

export function partsOf(obj: object): Parts {
  return obj as Parts;
}
