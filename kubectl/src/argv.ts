// kubectl's command-line syntax (cobra finding the command, spf13/pflag parsing the flags) in front
// of commander, which then only ever sees one canonical form. What pflag accepts and commander does
// not, or reads differently:
//   -o=yaml, -n=NS, -l=a=b    a shorthand's "=" separates the value (commander kept "=yaml")
//   -Aoyaml, -Ao=yaml         booleans and one valued shorthand combined in one word
//   --all-namespaces=true     a boolean with a value (pflag's strconv.ParseBool), --no-headers=false
//   --dry-run, --wait         a flag whose value is optional never takes the next word as its value
// and errors in kubectl's words, followed by "See 'mkctl get --help' for usage.".
//
// The canonical form is: the command path, the global flags, the command's flags (each "--long",
// "--no-long" or "--long=value"), "--", the positional arguments. Global flags come first because
// commander reads the program's own options only until the first option it does not know.
import { type Command, Option } from "commander";
import { CliError } from "./cli-error.js";
import { DurationError, parseDurationFlag } from "./duration.js";

/** Lets a command whose real definition is loaded on demand (`cluster`) replace its stub. */
export type ExpandCommand = (cmd: Command) => Promise<Command>;

export interface ParsedArgs {
  /** The command that runs (the program itself when no command was named). */
  command: Command;
  /** What commander parses (without node and the script). */
  canonical: string[];
}

const DURATION_OPTIONS = new WeakSet<Option>();

/** A flag whose value is a duration (Go's syntax, checked while parsing, as pflag's DurationVar does). */
export function durationOption(flags: string, description: string, defaultValue?: string): Option {
  const opt = new Option(flags, description);
  if (defaultValue !== undefined) opt.default(defaultValue);
  DURATION_OPTIONS.add(opt);
  return opt;
}

// strconv.ParseBool, which pflag uses for every boolean flag.
const TRUE_WORDS = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE_WORDS = new Set(["0", "f", "F", "FALSE", "false", "False"]);

export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** cobra's flag errors: `Error: unknown flag: --foo` and a pointer to the command's help. */
export function usageError(cmd: Command, message: string): CliError {
  return new CliError(`Error: ${message}\nSee '${commandPath(cmd)} --help' for usage.`, { raw: true });
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** cobra's answer to an unknown command: at the top with suggestions (distance ≤ 2 or a prefix), below it as kubectl's subcommands say. */
export function unknownCommand(cmd: Command, name: string): CliError {
  if (cmd.parent) {
    return new CliError(`error: unknown command "${name}"\nSee '${commandPath(cmd)} -h' for help and examples`, { raw: true });
  }
  const visible = cmd.commands.filter((c) => !isHidden(c)).map((c) => c.name());
  const near = visible.filter((n) => levenshtein(n, name) <= 2 || n.startsWith(name));
  const hint = near.length > 0 ? `\n\nDid you mean this?\n${near.map((n) => `\t${n}\n`).join("")}` : "";
  return new CliError(`Error: unknown command "${name}" for "${commandPath(cmd)}"${hint}`, { raw: true });
}

/** The subcommand a command runs when none is named (commander's isDefault: `create -f` is `create`'s hidden default). */
function defaultSubcommand(cmd: Command): Command | undefined {
  const name = (cmd as Command & { _defaultCommandName?: string | null })._defaultCommandName;
  return name ? cmd.commands.find((c) => c.name() === name) : undefined;
}

function isHidden(cmd: Command): boolean {
  return (cmd as Command & { _hidden?: boolean })._hidden === true;
}

function takesValue(opt: Option): boolean {
  return opt.required || opt.optional;
}

/** How pflag names a flag in its messages: "-A, --all-namespaces" or "--minify". */
function flagTitle(opt: Option): string {
  return [opt.short, opt.long].filter(Boolean).join(", ");
}

/** The option of this command or of one of its parents (global flags), by "--long" or "-s". */
function findOption(cmd: Command, flag: string): Option | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const opt = c.options.find((o) => o.long === flag || o.short === flag);
    if (opt) return opt;
  }
  return undefined;
}

/** A boolean's value in canonical form: "--x", "--no-x" or nothing (the default). */
function booleanTokens(cmd: Command, opt: Option, on: boolean): string[] {
  const long = opt.long ?? "";
  if (on) return [long];
  // --x=false: the negation when there is one (--watch=false → --no-watch), else leave the default.
  const opposite = opt.negate ? long.replace(/^--no-/, "--") : long.replace(/^--/, "--no-");
  return findOption(cmd, opposite) ? [opposite] : [];
}

function parseBool(cmd: Command, opt: Option, value: string): boolean {
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  throw usageError(cmd, `invalid argument "${value}" for "${flagTitle(opt)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
}

class Walk {
  cmd: Command;
  readonly path: string[] = [];
  readonly globals: string[] = [];
  readonly locals: string[] = [];
  readonly positionals: string[] = [];
  help = false;

  constructor(program: Command) {
    this.cmd = program;
  }

  /**
   * The option a flag names. A flag the command lacks but its default subcommand has (`create -f`)
   * chooses that subcommand, as long as no positional argument has named another.
   */
  option(flag: string): Option | undefined {
    const opt = findOption(this.cmd, flag);
    if (opt || this.positionals.length > 0) return opt;
    const sub = defaultSubcommand(this.cmd);
    const own = sub?.options.find((o) => o.long === flag || o.short === flag);
    if (!sub || !own) return undefined;
    this.cmd = sub;
    this.path.push(sub.name());
    return own;
  }

  /** One flag with its value (undefined: none given) into canonical form. */
  add(opt: Option, value: string | undefined): void {
    if (value !== undefined && DURATION_OPTIONS.has(opt)) {
      try {
        parseDurationFlag(value);
      } catch (err) {
        if (!(err instanceof DurationError)) throw err;
        throw usageError(this.cmd, `invalid argument "${value}" for "${flagTitle(opt)}" flag: ${err.message}`);
      }
    }
    const tokens = !takesValue(opt)
      ? booleanTokens(this.cmd, opt, value === undefined ? true : parseBool(this.cmd, opt, value))
      : [value === undefined ? (opt.long ?? "") : `${opt.long}=${value}`];
    const global = !this.cmd.options.includes(opt);
    (global ? this.globals : this.locals).push(...tokens);
  }

  /** --name, --name=value, --name value. Returns how many of the following words it used. */
  long(word: string, next: string | undefined): number {
    const eq = word.indexOf("=");
    const name = eq < 0 ? word : word.slice(0, eq);
    const inline = eq < 0 ? undefined : word.slice(eq + 1);
    if (name === "--help") {
      this.help = inline === undefined || parseBool(this.cmd, HELP, inline);
      return 0;
    }
    const opt = this.option(name);
    if (!opt) throw usageError(this.cmd, `unknown flag: ${name}`);
    if (inline !== undefined || !opt.required) {
      this.add(opt, inline);
      return 0;
    }
    if (next === undefined) throw usageError(this.cmd, `flag needs an argument: ${name}`);
    this.add(opt, next);
    return 1;
  }

  /** -abc: booleans, then at most one valued flag taking the rest (after an optional "="). */
  shorts(word: string, next: string | undefined): number {
    const chars = word.slice(1);
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i] ?? "";
      if (c === "h") {
        this.help = true;
        continue;
      }
      const opt = this.option(`-${c}`);
      if (!opt) throw usageError(this.cmd, `unknown shorthand flag: '${c}' in ${word}`);
      const rest = chars.slice(i + 1);
      if (rest.startsWith("=")) {
        this.add(opt, rest.slice(1));
        return 0;
      }
      if (!opt.required) {
        this.add(opt, undefined);
        continue;
      }
      if (rest !== "") {
        this.add(opt, rest);
        return 0;
      }
      if (next === undefined) throw usageError(this.cmd, `flag needs an argument: '${c}' in ${word}`);
      this.add(opt, next);
      return 1;
    }
    return 0;
  }

  canonical(): string[] {
    return [...this.path, ...this.globals, ...this.locals, ...(this.help ? ["--help"] : []), "--", ...this.positionals];
  }
}

/** cobra's -h/--help is a boolean too (--help=false is allowed); commander keeps its own apart from the options. */
const HELP = { long: "--help", short: "-h", required: false, optional: false, negate: false } as Option;

/**
 * Finds the command and reads every flag as pflag would. Words up to the first positional of a
 * command that has subcommands name the subcommand; `--` ends the flags.
 */
export async function parseArgs(program: Command, args: readonly string[], expand?: ExpandCommand): Promise<ParsedArgs> {
  const w = new Walk(program);
  for (let i = 0; i < args.length; i++) {
    const word = args[i] ?? "";
    const next = args[i + 1];
    if (word === "--") {
      w.positionals.push(...args.slice(i + 1));
      break;
    }
    if (word.startsWith("--")) {
      i += w.long(word, next);
    } else if (word.startsWith("-") && word.length > 1) {
      i += w.shorts(word, next);
    } else if (word === "help" && w.cmd.parent === null && w.path.length === 0) {
      // `mkctl help get` is `mkctl get --help`, as with kubectl.
      w.help = true;
    } else if (w.positionals.length === 0 && w.cmd.commands.length > 0) {
      const sub = w.cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
      if (!sub) throw unknownCommand(w.cmd, word);
      w.cmd = expand ? await expand(sub) : sub;
      w.path.push(w.cmd.name());
    } else {
      w.positionals.push(word);
    }
  }
  return { command: w.cmd, canonical: w.canonical() };
}
