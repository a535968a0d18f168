// Every mkctl command registers itself here, in the order `mkctl --help` lists them. Another
// module (e.g. `cluster`) adds itself with one import and one line in COMMANDS.
import type { Command } from "commander";
import * as get from "./get.js";

export interface CommandModule {
  register(program: Command): void;
}

export const COMMANDS: CommandModule[] = [get];

export function registerCommands(program: Command, modules: readonly CommandModule[] = COMMANDS): void {
  for (const m of modules) m.register(program);
}
