// The one line (or, for usage errors, two) mkctl prints on stderr when it fails, and its exit code,
// and the lines for a server that cannot be reached. Apart from errors.ts (which maps the API's typed
// errors) so that parsing the command line and dialling never load the gRPC client.
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
