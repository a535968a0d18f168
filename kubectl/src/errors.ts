// mkctl's failures as kubectl prints them: one line on stderr, exit code 1.
//   error: …                                  a local mistake (flags, files)
//   Error from server (NotFound): …           the API server said no
//   The Deployment "x" is invalid: [a, b]     validation, every failing field path named
//   Unable to connect to the server: …        nothing answered
import { ApiError, type FieldError, formatFieldError, InvalidError, TimeoutError, UnavailableError } from "@mk/proto/client";
import { CliError } from "./cli-error.js";

export { CliError };


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

/**
 * The reason a connection failed, in the words kubectl users know. The message is Node's (a socket
 * error) or grpc-js's (a multi-line report of its channel's state): anything not recognised is
 * summarised rather than printed, since grpc-js's report describes its own internals.
 */
export function connectionReason(message: string): string {
  if (/ECONNREFUSED|connection refused/i.test(message)) return "connection refused";
  if (/ETIMEDOUT|deadline|timed? ?out/i.test(message)) return "i/o timeout";
  if (/EHOSTUNREACH|no route/i.test(message)) return "no route to host";
  if (/ENOTFOUND|EAI_AGAIN|Name resolution/i.test(message)) return "no such host";
  if (/ECONNRESET|connection reset/i.test(message)) return "connection reset by peer";
  return "the connection to the server was lost";
}

export function unreachable(server: string, message: string, cause?: unknown): CliError {
  return new CliError(`Unable to connect to the server: ${server}: ${connectionReason(message)}`, { raw: true, cause });
}

/** Something accepted the TCP connection but failed the TLS or HTTP/2 handshake gRPC needs. */
export function notAnApiServer(server: string, tls: boolean): CliError {
  const hint = tls
    ? "the TLS handshake failed (not an mk API server, or its certificate is not signed by the config's CA)"
    : "no gRPC answer over plaintext HTTP/2 (not an mk API server, or one that wants TLS)";
  return new CliError(`Unable to connect to the server: ${server}: ${hint}`, { raw: true });
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
