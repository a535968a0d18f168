// mkctl's failures as kubectl prints them: one line on stderr, exit code 1.
//   error: …                                  a local mistake (flags, files)
//   Error from server (NotFound): …           the API server said no
//   The Deployment "x" is invalid: [a, b]     validation, every failing field path named
//   Unable to connect to the server: …        nothing answered
import { ApiError, type FieldError, formatFieldError, InvalidError, TimeoutError, UnavailableError } from "@mk/proto/client";
import { CliError, unreachable } from "./cli-error.js";

export { CliError, connectionReason, notAnApiServer, unreachable } from "./cli-error.js";


/** `Error from server (NotFound): deployments.apps "x" not found` */
export function serverError(reason: string, message: string, cause?: unknown): CliError {
  return new CliError(`Error from server (${reason}): ${message}`, { raw: true, cause });
}

/** `The Deployment "web" is invalid: [metadata.name: Invalid value: …, spec.foo: unknown field]` */
export function invalidLine(kind: string, name: string, fields: readonly FieldError[]): string {
  const parts = fields.map(formatFieldError);
  const list = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  return `The ${kind} "${name}" is invalid: ${list}`;
}

/** Any thrown value to the one line mkctl prints. */
export function toCliError(err: unknown, server = ""): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof UnavailableError) return unreachable(server, err.message, err);
  // A call's own deadline (--request-timeout): grpc-js's message is a timing report of its internals.
  if (err instanceof TimeoutError) return new CliError(`the server ${server} did not answer in time: context deadline exceeded (--request-timeout)`, { cause: err });
  if (err instanceof InvalidError && err.fields.length > 0) {
    return new CliError(`Error from server (Invalid): ${err.fields.map(formatFieldError).join(", ")}`, { raw: true, cause: err });
  }
  if (err instanceof ApiError) return serverError(err.reason, err.message, err);
  const msg = err instanceof Error ? err.message : String(err);
  return new CliError(msg, { cause: err });
}
