// What the checkers are fed: the API's objects as the watches deliver them (in etcd's order, see
// merge.ts), and Docker's container events. Plain data, so unit tests can make them up.
import type { Deployment, Pod, ReplicaSet } from "@mk/proto";
import type { DeepReadonly } from "@mk/proto/informer";

type Api<K extends string, T> = { kind: K; type: "put" | "delete"; rv: number; obj: DeepReadonly<T> };

export type ApiEvent = Api<"Deployment", Deployment> | Api<"ReplicaSet", ReplicaSet> | Api<"Pod", Pod>;

/** One of Docker's container events, reduced to what the checkers read. */
export interface EngineEvent {
  /** start, die, destroy, … (Docker's Action). */
  action: string;
  id: string;
  /** The container's labels (Docker's Actor.Attributes carry them). */
  labels: Readonly<Record<string, string>>;
}

/** One broken promise, as the report prints it. */
export interface Violation {
  invariant: string;
  detail: string;
}

/** The revision of an event: the object's resourceVersion (a delete's carries the delete's). */
export function revisionOf(obj: { metadata?: { resourceVersion: string } | undefined }): number {
  return Number(obj.metadata?.resourceVersion ?? 0) || 0;
}
