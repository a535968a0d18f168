// Typed API errors and their one mapping to and from gRPC status. Servers throw these (or map their
// own failures to them) and convert once at the edge with toServiceError; clients convert a failed
// call once with fromServiceError, so the rest of the code only ever sees typed errors.
import { Metadata, status as Code, type ServiceError } from "@grpc/grpc-js";

/** One invalid field: `spec.replicas: Invalid value: -1: must be greater than or equal to 0`. */
export interface FieldError {
  /** Field path as Kubernetes prints it: `spec.template.spec.containers[0].image`. */
  field: string;
  /** Invalid, Required, Unsupported, NotSupported, Duplicate, Forbidden, TooLong, Immutable … */
  type: string;
  detail: string;
  /** The rejected value, printed as given. */
  value?: string;
}

/** Kubernetes' metav1.StatusReason of each error, which an HTTP edge sends in its metav1.Status. */
export type ErrorReason =
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Invalid"
  | "Expired"
  | "Gone"
  | "TooManyRequests"
  | "Unavailable"
  | "Unauthorized"
  | "Forbidden"
  | "BadRequest"
  | "Timeout"
  | "RequestEntityTooLarge"
  | "Internal";

/** The HTTP status Kubernetes answers with for each reason (metav1.Status.code). */
export const HTTP_STATUS: { readonly [R in ErrorReason]: number } = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  Expired: 410,
  Gone: 410,
  TooManyRequests: 429,
  Unavailable: 503,
  Unauthorized: 401,
  Forbidden: 403,
  BadRequest: 400,
  Timeout: 504,
  RequestEntityTooLarge: 413,
  Internal: 500,
};

const CAUSES_KEY = "mk-causes";
const REASON_KEY = "mk-reason";
/** The reason header of a PreconditionFailedError: a Conflict the client must not retry as it is. */
const PRECONDITION_FAILED = "PreconditionFailed";

export class ApiError extends Error {
  readonly reason: ErrorReason;
  readonly code: Code;
  /** Whether repeating the same call may succeed (the transport retries these). */
  readonly retryable: boolean;

  constructor(reason: ErrorReason, code: Code, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = `${reason}Error`;
    this.reason = reason;
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }

  /** The HTTP status of this error's reason, for an HTTP edge. */
  get httpStatus(): number {
    return HTTP_STATUS[this.reason];
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NotFound", Code.NOT_FOUND, message, options);
  }
}

export class AlreadyExistsError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("AlreadyExists", Code.ALREADY_EXISTS, message, options);
  }
}

/** A stale resourceVersion on write: read again and retry. */
export class ConflictError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("Conflict", Code.ABORTED, message, options);
  }
}

/**
 * A precondition the client set (uid, or a delete's resourceVersion) does not hold. A Conflict to
 * Kubernetes (409, and ABORTED here, as before), but the server never retries it: the object the
 * client meant is not the one stored.
 */
export class PreconditionFailedError extends ConflictError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PreconditionFailedError";
  }
}

export class InvalidError extends ApiError {
  readonly fields: FieldError[];
  constructor(message: string, fields: FieldError[], options?: { cause?: unknown }) {
    super("Invalid", Code.INVALID_ARGUMENT, message, options);
    this.fields = fields;
  }
}

/** A watch from a resourceVersion that etcd has compacted away: relist. */
export class ExpiredError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("Expired", Code.OUT_OF_RANGE, message, options);
  }
}

/** The resource is gone for good (Kubernetes' 410 Gone); an expired watch is ExpiredError. */
export class GoneError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("Gone", Code.OUT_OF_RANGE, message, options);
  }
}

/** Too many requests (429): repeat later. */
/** A request body over the server's limit (Kubernetes' 413); not retryable as it is. */
export class RequestEntityTooLargeError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RequestEntityTooLarge", Code.RESOURCE_EXHAUSTED, message, options);
  }
}

export class TooManyRequestsError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TooManyRequests", Code.RESOURCE_EXHAUSTED, message, { ...options, retryable: true });
  }
}

export class UnavailableError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("Unavailable", Code.UNAVAILABLE, message, { ...options, retryable: true });
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("Unauthorized", Code.UNAUTHENTICATED, message, options);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("Forbidden", Code.PERMISSION_DENIED, message, options);
  }
}

/** A request that can never succeed as sent, other than field validation (e.g. bind an already bound pod). */
export class BadRequestError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("BadRequest", Code.FAILED_PRECONDITION, message, options);
  }
}

/**
 * The deadline passed: the server may or may not have applied the call. Retried by the transport
 * like UNAVAILABLE (which a connection lost mid-call also gives), because every retried write is
 * safe to repeat (resource.ts): a create carries a request id that becomes its object's uid, so a
 * re-sent create that finds AlreadyExists reads the object and returns it when the uid is its own;
 * a delete re-sent that finds NotFound is done; an update pinned to a resourceVersion applies once
 * and reports a conflict when re-sent after it applied (callers re-read: retryOnConflict). Until
 * this, timed-out calls were not retried at all.
 */
export class TimeoutError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("Timeout", Code.DEADLINE_EXCEEDED, message, { ...options, retryable: true });
  }
}

/** The gRPC metadata key of a request's id (a UUID, the same on every retry of one call). */
export const REQUEST_ID_HEADER = "mk-request-id";

export class InternalError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("Internal", Code.INTERNAL, message, options);
  }
}

/** Kubernetes' wording for an invalid object: `Deployment.apps "web" is invalid: [a, b]`. */
export function invalidMessage(kindWithGroup: string, name: string, fields: FieldError[]): string {
  const parts = fields.map(formatFieldError);
  const list = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  return `${kindWithGroup} "${name}" is invalid: ${list}`;
}

export function formatFieldError(f: FieldError): string {
  const detail = f.detail ? `: ${f.detail}` : "";
  const value = f.value === undefined ? "" : `: ${f.value}`;
  switch (f.type) {
    case "Required":
      return `${f.field}: Required value${detail}`;
    case "Unknown":
      return `${f.field}: unknown field${detail}`;
    case "Forbidden":
      return `${f.field}: Forbidden${detail}`;
    case "TooLong":
      return `${f.field}: Too long${detail}`;
    case "NotSupported":
    case "Unsupported":
      return `${f.field}: Unsupported value${value}${detail}`;
    case "Duplicate":
      return `${f.field}: Duplicate value${value}${detail}`;
    default:
      // Invalid, Immutable …: `spec.replicas: Invalid value: -1: must be greater than or equal to 0`
      return `${f.field}: ${f.type} value${value}${detail}`;
  }
}

/** Server edge: whatever was thrown, as a gRPC ServiceError. Unknown failures become INTERNAL. */
export function toServiceError(err: unknown): Partial<ServiceError> & { code: Code; details: string } {
  const e = err instanceof ApiError ? err : new InternalError(err instanceof Error ? err.message : String(err), { cause: err });
  const metadata = new Metadata();
  metadata.set(REASON_KEY, e instanceof PreconditionFailedError ? PRECONDITION_FAILED : e.reason);
  if (e instanceof InvalidError) {
    // Metadata values must be printable ASCII (grpc-js throws otherwise): escape the rest as JSON
    // \u escapes, which parse back to the same text. Fields quote rejected values, e.g. a label key "é".
    metadata.set(CAUSES_KEY, JSON.stringify(e.fields).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`));
  }
  return { code: e.code, details: e.message, message: e.message, metadata, name: e.name };
}

function isServiceError(err: unknown): err is ServiceError {
  return typeof err === "object" && err !== null && "code" in err && typeof (err as { code: unknown }).code === "number";
}

/** Client edge: a failed call's error to a typed ApiError (anything else is returned unchanged). */
export function fromServiceError(err: unknown): unknown {
  if (err instanceof ApiError || !isServiceError(err)) return err;
  const msg = err.details || err.message;
  const opts = { cause: err };
  const reason = err.metadata?.get(REASON_KEY)[0];
  switch (err.code) {
    case Code.NOT_FOUND:
      return new NotFoundError(msg, opts);
    case Code.ALREADY_EXISTS:
      return new AlreadyExistsError(msg, opts);
    case Code.ABORTED:
      return reason === PRECONDITION_FAILED ? new PreconditionFailedError(msg, opts) : new ConflictError(msg, opts);
    case Code.INVALID_ARGUMENT: {
      const raw = err.metadata?.get(CAUSES_KEY)[0];
      let fields: FieldError[] = [];
      if (typeof raw === "string") {
        try {
          fields = JSON.parse(raw) as FieldError[];
        } catch {
          // A malformed causes header still leaves the message, which names the fields.
        }
      }
      return new InvalidError(msg, fields, opts);
    }
    case Code.OUT_OF_RANGE:
      return reason === "Gone" ? new GoneError(msg, opts) : new ExpiredError(msg, opts);
    case Code.RESOURCE_EXHAUSTED:
      // gRPC itself says RESOURCE_EXHAUSTED of a message too large: only the server's reason means "later".
      return reason === "TooManyRequests" ? new TooManyRequestsError(msg, opts) : new InternalError(msg, opts);
    case Code.UNAVAILABLE:
      return new UnavailableError(msg, opts);
    case Code.UNAUTHENTICATED:
      return new UnauthorizedError(msg, opts);
    case Code.PERMISSION_DENIED:
      return new ForbiddenError(msg, opts);
    case Code.FAILED_PRECONDITION:
      return new BadRequestError(msg, opts);
    case Code.DEADLINE_EXCEEDED:
      return new TimeoutError(msg, opts);
    case Code.CANCELLED:
      return new ApiError("Internal", Code.CANCELLED, msg, opts);
    default:
      return new InternalError(msg, opts);
  }
}

export function isNotFound(err: unknown): err is NotFoundError {
  return err instanceof NotFoundError;
}
export function isAlreadyExists(err: unknown): err is AlreadyExistsError {
  return err instanceof AlreadyExistsError;
}
export function isConflict(err: unknown): err is ConflictError {
  return err instanceof ConflictError;
}
export function isExpired(err: unknown): err is ExpiredError {
  return err instanceof ExpiredError;
}
