// mkctl completion bash|zsh (and fish, completion-fish.ts): shell completion for commands, flags, resource types and, live from
// the cluster, object names (`mkctl get TYPE -o name`). Load with `source <(mkctl completion bash)`.
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import { RESOURCE_NAMES } from "../resource-names.js";

/** Commands whose first argument is a resource type and the following ones object names. */
export const RESOURCE_COMMANDS = ["get", "describe", "delete", "label", "annotate", "scale", "expose"];

export function resourceTypes(): string[] {
  return RESOURCE_NAMES.flat();
}

interface CommandInfo {
  name: string;
  description: string;
  flags: string[];
  subcommands: string[];
}

export function commandInfos(program: Command): CommandInfo[] {
  return program.commands
    .filter((c) => !(c as Command & { _hidden?: boolean })._hidden)
    .map((c) => ({
      name: c.name(),
      description: c.description(),
      flags: c.options.flatMap((o) => [o.short, o.long].filter((x): x is string => Boolean(x))),
      subcommands: c.commands.map((s) => s.name()),
    }));
}

const globalFlags = (program: Command) => program.options.flatMap((o) => [o.short, o.long].filter((x): x is string => Boolean(x)));

export function bashCompletion(program: Command): string {
  const cmds = commandInfos(program);
  const flagCases = cmds.map((c) => `    ${c.name}) flags="${c.flags.join(" ")}" ;;`).join("\n");
  const subCases = cmds
    .filter((c) => c.subcommands.length > 0)
    .map((c) => `    ${c.name}) [[ -z "$arg1" ]] && COMPREPLY=($(compgen -W "${c.subcommands.join(" ")}" -- "$cur")); return ;;`)
    .join("\n");
  return `# bash completion for mkctl. Load it with: source <(mkctl completion bash)
_mkctl_names() {
  local type="$1"; shift
  mkctl "$@" get "$type" -o name 2>/dev/null | sed 's|^[^/]*/||'
}

_mkctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local commands="${cmds.map((c) => c.name).join(" ")}"
  local types="${resourceTypes().join(" ")}"
  local globals="${globalFlags(program).join(" ")}"
  local cmd="" arg1="" w i
  local -a conn=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      -n|--namespace|-s|--server|--kubeconfig|--context)
        conn+=("$w" "\${COMP_WORDS[i+1]}"); ((i++)); continue ;;
      -o|--output|-l|--selector|-f|--filename|--field-selector|--image|--replicas|--port|--grace-period|--cascade|--timeout|--request-timeout)
        ((i++)); continue ;;
      -*) continue ;;
    esac
    if [[ -z "$cmd" ]]; then cmd="$w"; elif [[ -z "$arg1" ]]; then arg1="$w"; fi
  done
  case "$prev" in
    -n|--namespace) COMPREPLY=($(compgen -W "$(_mkctl_names namespaces "\${conn[@]}")" -- "$cur")); return ;;
    --context) COMPREPLY=($(compgen -W "$(sed -n 's/^- *name: *//p;s/^  name: *//p' "\${MK_CONFIG:-$HOME/.mk/config}" 2>/dev/null)" -- "$cur")); return ;;
    -o|--output) COMPREPLY=($(compgen -W "wide yaml json name jsonpath=" -- "$cur")); return ;;
    -f|--filename|--kubeconfig) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --cascade) COMPREPLY=($(compgen -W "background orphan foreground" -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    local flags=""
    case "$cmd" in
${flagCases}
    esac
    COMPREPLY=($(compgen -W "$flags $globals" -- "$cur"))
    return
  fi
  if [[ -z "$cmd" ]]; then COMPREPLY=($(compgen -W "$commands" -- "$cur")); return; fi
  case "$cmd" in
    ${RESOURCE_COMMANDS.join("|")})
      if [[ -z "$arg1" ]]; then
        COMPREPLY=($(compgen -W "$types" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "$(_mkctl_names "$arg1" "\${conn[@]}")" -- "$cur"))
      fi ;;
    completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
${subCases}
  esac
}

complete -o default -F _mkctl mkctl
`;
}

export function zshCompletion(program: Command): string {
  const cmds = commandInfos(program);
  const esc = (s: string) => s.replace(/'/g, "'\\''").replace(/:/g, "\\:");
  const subCases = cmds
    .filter((c) => c.subcommands.length > 0)
    .map((c) => `    ${c.name}) (( CURRENT == 3 )) && compadd -- ${c.subcommands.join(" ")} ;;`)
    .join("\n");
  return `#compdef mkctl
# zsh completion for mkctl. Load it with: source <(mkctl completion zsh)
_mkctl() {
  local -a commands types
  commands=(
${cmds.map((c) => `    '${esc(c.name)}:${esc(c.description)}'`).join("\n")}
  )
  types=(${resourceTypes().join(" ")})
  if [[ "$words[CURRENT]" == -* ]]; then
    compadd -- ${globalFlags(program).join(" ")}
    return
  fi
  if (( CURRENT == 2 )); then
    _describe -t commands 'mkctl command' commands
    return
  fi
  case "$words[2]" in
    ${RESOURCE_COMMANDS.join("|")})
      if (( CURRENT == 3 )); then
        compadd -a types
      else
        compadd -- \${(f)"$(mkctl get "$words[3]" -o name 2>/dev/null | sed 's|^[^/]*/||')"}
      fi ;;
    completion) compadd -- bash zsh fish ;;
    apply) _files ;;
${subCases}
  esac
}

if [[ "$funcstack[1]" == "_mkctl" ]]; then _mkctl "$@"; else compdef _mkctl mkctl; fi
`;
}

export function completion(program: Command, shell: string): void {
  if (shell === "bash") process.stdout.write(bashCompletion(program));
  else if (shell === "zsh") process.stdout.write(zshCompletion(program));
  else throw new CliError(`Unsupported shell type "${shell}".`);
}
