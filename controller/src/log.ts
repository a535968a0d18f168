// The controller manager's logger type: pino, structured (a constant message, details in fields).
import { pino } from "pino";

export type Logger = pino.Logger;

export function newLogger(level = process.env.MK_LOG_LEVEL ?? "info", name = "mk-controller-manager"): Logger {
  return pino({ name, level });
}

/** Discards everything (tests). */
export const silentLogger: Logger = pino({ level: "silent" });
