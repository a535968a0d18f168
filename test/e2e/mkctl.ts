// Runs the built mkctl binary as a user would, with its own MK_HOME and config.
import { type RunResult, runMkctl } from "../harness/mkctl.js";

export { MKCTL, REPO, type RunResult } from "../harness/mkctl.js";

/** signal kills mkctl (a test whose time is up stops waiting for it). */
export function mkctl(env: NodeJS.ProcessEnv, args: string[], stdin?: string, signal?: AbortSignal): Promise<RunResult> {
  return runMkctl(args, { env, stdin, signal });
}
