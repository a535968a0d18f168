// mkctl completion fish: fish's completions for commands (with their descriptions), each command's
// flags, subcommands, resource types and, live from the cluster, object names. Load it with
// `mkctl completion fish | source`.
import type { Command } from "commander";
import { commandInfos, RESOURCE_COMMANDS, resourceTypes } from "./completion.js";

const quote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** `-s o -l output -r` for an option: fish's short/long names, -r when it takes a value. */
function flagSpec(short: string | undefined, long: string | undefined, takesValue: boolean): string {
  const parts: string[] = [];
  if (short) parts.push(`-s ${short.replace(/^-/, "")}`);
  if (long) parts.push(`-l ${long.replace(/^--/, "")}`);
  if (takesValue) parts.push("-r");
  return parts.join(" ");
}

export function fishCompletion(program: Command): string {
  const lines: string[] = [
    "# fish completion for mkctl. Load it with: mkctl completion fish | source",
    "function __mkctl_words_are",
    "    set -l cmd (commandline -opc)",
    "    test (count $cmd) -eq $argv[1]",
    "end",
    "function __mkctl_using",
    "    set -l cmd (commandline -opc)",
    "    test (count $cmd) -gt 1; and test $cmd[2] = $argv[1]",
    "end",
    "function __mkctl_objects",
    "    set -l cmd (commandline -opc)",
    "    mkctl get $cmd[3] -o name 2>/dev/null | string replace -r '^[^/]*/' ''",
    "end",
    "complete -c mkctl -f",
  ];
  for (const o of program.options) lines.push(`complete -c mkctl ${flagSpec(o.short, o.long, o.required || o.optional)} -d ${quote(o.description)}`);
  const visible = program.commands.filter((c) => commandInfos(program).some((i) => i.name === c.name()));
  for (const c of visible) {
    lines.push(`complete -c mkctl -n '__mkctl_words_are 1' -a ${c.name()} -d ${quote(c.description())}`);
    for (const o of c.options) lines.push(`complete -c mkctl -n '__mkctl_using ${c.name()}' ${flagSpec(o.short, o.long, o.required || o.optional)} -d ${quote(o.description)}`);
    for (const s of c.commands.filter((s) => !(s as Command & { _hidden?: boolean })._hidden)) {
      lines.push(`complete -c mkctl -n '__mkctl_using ${c.name()}; and __mkctl_words_are 2' -a ${s.name()} -d ${quote(s.description())}`);
    }
  }
  const types = resourceTypes().join(" ");
  for (const name of RESOURCE_COMMANDS) {
    lines.push(`complete -c mkctl -n '__mkctl_using ${name}; and __mkctl_words_are 2' -a ${quote(types)}`);
    lines.push(`complete -c mkctl -n '__mkctl_using ${name}; and not __mkctl_words_are 2' -a '(__mkctl_objects)'`);
  }
  lines.push("complete -c mkctl -n '__mkctl_using completion; and __mkctl_words_are 2' -a 'bash zsh fish'");
  lines.push("complete -c mkctl -n '__mkctl_using apply; or __mkctl_using create; or __mkctl_using replace' -s f -l filename -r -F");
  return `${lines.join("\n")}\n`;
}
