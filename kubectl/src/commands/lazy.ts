// What the command table's files share: a commander action that loads its command's module when it
// runs, and the collector of a repeatable flag.
import type { Cli } from "../cli.js";

export type Run<A extends unknown[]> = (cli: Cli, ...args: A) => Promise<void>;

/** A commander action that imports the command's module, then runs it through cli.ts's `action`. */
export function lazy<A extends unknown[]>(load: () => Promise<Run<A>>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const [{ action }, run] = await Promise.all([import("../cli.js"), load()]);
    await action(run)(...args);
  };
}

/** A repeatable flag's values, in order. */
export const repeatable = (v: string, prev: string[] = []) => [...prev, v];
