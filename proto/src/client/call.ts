// What a ResourceClient needs of its Clientset: the raw gRPC stub and the two ways to call it, with
// the deadline, cancellation, typed errors and retries clientset.ts gives them. In a file of its own
// so that imports go one way, clientset.ts → resource.ts → call.ts, and never back.
import type { CallOptions, ClientReadableStream, Metadata, ServiceError } from "@grpc/grpc-js";
import type { ResourcesClient } from "../gen/mk/v1/api.js";

export interface CallOpts {
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Overrides the client's deadline for this call (ms). */
  timeoutMs?: number;
  /** false: never retry (for calls that are not idempotent, such as create with generateName). */
  retry?: boolean;
  /** Sent as REQUEST_ID_HEADER with every attempt of the call (resource.ts: a create's uid). */
  requestId?: string;
  /** Called before each attempt (the first and every retry). */
  onAttempt?: () => void;
}

type Callback<R> = (error: ServiceError | null, response: R) => void;
export type UnaryMethod<Q, R> = (request: Q, metadata: Metadata, options: Partial<CallOptions>, callback: Callback<R>) => unknown;

export interface Caller {
  readonly raw: ResourcesClient;
  /** A unary call with the deadline, cancellation, typed errors and UNAVAILABLE retries. */
  unary<Q, R>(method: UnaryMethod<Q, R>, request: Q, opts?: CallOpts): Promise<R>;
  /** A server stream as an async iterable; ends quietly when the signal aborts it. */
  stream<T>(open: () => ClientReadableStream<T>, signal?: AbortSignal): AsyncGenerator<T>;
}
