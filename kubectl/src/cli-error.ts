// The one line (or, for usage errors, two) mkctl prints on stderr when it fails, and its exit code.
// Apart from errors.ts so that parsing the command line never loads the gRPC client.
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
