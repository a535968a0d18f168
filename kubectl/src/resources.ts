// Resource arguments as kubectl takes them (`deploy web`, `deploy/web`, `deploy,rs`) and the names
// kubectl prints for them (`deployment.apps/web`, `deployments.apps "web"`).
import { type KindInfo, lookupKind } from "@mk/proto/api";
import { CliError } from "./errors.js";

/** `deployment.apps` / `pod`: what kubectl prints before `/name`. */
export function kindRef(info: KindInfo): string {
  return info.group ? `${info.singular}.${info.group}` : info.singular;
}

/** `deployment.apps/web` */
export function refName(info: KindInfo, name: string): string {
  return `${kindRef(info)}/${name}`;
}

/** `deployment.apps "web"` (delete's wording) */
export function quotedRef(info: KindInfo, name: string): string {
  return `${kindRef(info)} "${name}"`;
}

/** `deployments.apps`: the resource as named in NotFound/AlreadyExists messages. */
export function pluralRef(info: KindInfo): string {
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

export function notFoundLine(info: KindInfo, name: string): string {
  return `Error from server (NotFound): ${pluralRef(info)} "${name}" not found`;
}

export function resolveKind(type: string): KindInfo {
  const info = lookupKind(type);
  if (!info) throw new CliError(`the server doesn't have a resource type "${type}"`);
  return info;
}

export interface ResourceTarget {
  info: KindInfo;
  /** Empty: every object of the kind (subject to selectors). */
  names: string[];
}

/**
 * `TYPE[,TYPE…] [NAME…]` or `TYPE/NAME …`. Targets keep the order of the arguments, and a
 * TYPE/NAME list groups consecutive names of one kind, as kubectl prints them.
 */
export function parseResourceArgs(args: readonly string[]): ResourceTarget[] {
  if (args.length === 0) return [];
  const first = args[0] ?? "";
  if (first.includes("/")) {
    const out: ResourceTarget[] = [];
    for (const a of args) {
      const i = a.indexOf("/");
      if (i <= 0 || i === a.length - 1) {
        throw new CliError(
          `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'mkctl get resource/<resource_name>' instead of 'mkctl get resource resource/<resource_name>'`,
        );
      }
      const info = resolveKind(a.slice(0, i));
      const name = a.slice(i + 1);
      const last = out[out.length - 1];
      if (last && last.info.kind === info.kind) last.names.push(name);
      else out.push({ info, names: [name] });
    }
    return out;
  }
  const names = args.slice(1);
  for (const n of names) {
    if (n.includes("/")) {
      throw new CliError(
        `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'mkctl get resource/<resource_name>' instead of 'mkctl get resource resource/<resource_name>'`,
      );
    }
  }
  const types = first.split(",").filter((t) => t !== "");
  if (types.length === 0) throw new CliError(`resource type is required`);
  return types.map((t) => ({ info: resolveKind(t), names: [...names] }));
}
