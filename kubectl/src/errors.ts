// mkctl's failures as kubectl prints them: one line on stderr, exit code 1.
//   error: …                                  a local mistake (flags, files)
//   Error from server (NotFound): …           the API server said no
//   The Deployment "x" is invalid: [a, b]     validation, every failing field path named
//   Unable to connect to the server: …        nothing answered
import { ApiError, type FieldError, formatFieldError, InvalidError, UnavailableError } from "@mk/proto/client";

export class CliError extends Error {
  /** The exact line printed on stderr. */
  readonly line: string;
  readonly exitCode: number;

  constructor(message: string, opts: { raw?: boolean; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "CliError";
    this.line = opts.raw ? message : `error: ${message}`;
    this.exitCode = opts.exitCode ?? 1;
  }
}

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

/** The reason a connection failed, in the words kubectl users know. */
export function connectionReason(message: string): string {
  if (/ECONNREFUSED|connection refused/i.test(message)) return "connection refused";
  if (/ETIMEDOUT|deadline|timed? ?out/i.test(message)) return "i/o timeout";
  if (/EHOSTUNREACH|no route/i.test(message)) return "no route to host";
  if (/ENOTFOUND|EAI_AGAIN|Name resolution/i.test(message)) return "no such host";
  return message.split("\n")[0] ?? message;
}

export function unreachable(server: string, message: string, cause?: unknown): CliError {
  return new CliError(`Unable to connect to the server: ${server}: ${connectionReason(message)}`, { raw: true, cause });
}

/** Any thrown value to the one line mkctl prints. */
export function toCliError(err: unknown, server = ""): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof UnavailableError) return unreachable(server, err.message, err);
  if (err instanceof InvalidError && err.fields.length > 0) {
    return new CliError(`Error from server (Invalid): ${err.fields.map(formatFieldError).join(", ")}`, { raw: true, cause: err });
  }
  if (err instanceof ApiError) return serverError(err.reason, err.message, err);
  const msg = err instanceof Error ? err.message : String(err);
  return new CliError(msg, { cause: err });
}
