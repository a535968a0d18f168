// The minimal structured logger the informer, work queue and leader elector write to: pino-compatible
// (`log.info({ key }, "message")`), injected by the component so proto never imports a logging library.

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Discards everything: the default when no logger is given. */
export const noopLogger: Logger = {
  info() {},
  warn() {},
  error() {},
};

/** An error as log fields: pino serializes `err` objects, plain consoles get the message. */
export function errField(err: unknown): { err: unknown } {
  return { err: err instanceof Error ? err : String(err) };
}
