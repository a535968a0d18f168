// Every mkctl command registers itself here, in the order `mkctl --help` lists them. Another
// module (e.g. `cluster`) adds itself with one import and one line in COMMANDS.
import type { Command } from "commander";
import * as apply from "./apply.js";
import * as cluster from "./cluster.js";
import * as completion from "./completion.js";
import * as cordon from "./cordon.js";
import * as create from "./create.js";
import * as del from "./delete.js";
import * as describe from "./describe.js";
import * as drain from "./drain.js";
import * as exec from "./exec.js";
import * as get from "./get.js";
import * as label from "./label.js";
import * as logs from "./logs.js";
import * as rollout from "./rollout.js";
import * as run from "./run.js";
import * as scale from "./scale.js";
import * as setImage from "./set-image.js";
import * as version from "./version.js";

export interface CommandModule {
  register(program: Command): void;
}

export const COMMANDS: CommandModule[] = [create, run, get, describe, logs, exec, del, apply, scale, rollout, setImage, label, cordon, drain, version, cluster, completion];

export function registerCommands(program: Command, modules: readonly CommandModule[] = COMMANDS): void {
  for (const m of modules) m.register(program);
}
