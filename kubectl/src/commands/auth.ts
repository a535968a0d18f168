// mkctl auth can-i VERB TYPE[/NAME] | VERB /NONRESOURCE/URL [-n NS | -A] [--subresource S] [-q]:
// kubectl's question to the API server (a SelfSubjectAccessReview; over gRPC, the AccessReview call)
// answered by mk's authorizer, the one that decides the caller's real requests. `yes` exits 0, `no`
// (with the reason, as kubectl prints it) exits 1; kubectl's warnings for an unknown resource, a
// cluster-scoped one under a namespace and an unknown verb.
import { lookupKind, VIRTUAL_RESOURCES } from "@mk/proto/api";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";

export interface CanIFlags {
  allNamespaces?: boolean;
  subresource?: string;
  quiet?: boolean;
  list?: boolean;
}

const RESOURCE_VERBS = new Set(["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "use", "bind", "impersonate", "*", "approve", "sign", "escalate", "attest"]);
const NON_RESOURCE_VERBS = new Set(["get", "put", "post", "head", "options", "delete", "patch", "*"]);

interface Target {
  group: string;
  resource: string;
  name: string;
  namespaced: boolean;
}

/** kubectl's resourceFor: a known type becomes its group and plural; an unknown one is asked about as typed, with a warning. */
function targetOf(arg: string, warn: (line: string) => void): Target {
  const slash = arg.indexOf("/");
  const type = slash < 0 ? arg : arg.slice(0, slash);
  const name = slash < 0 ? "" : arg.slice(slash + 1);
  if (type === "*") return { group: "", resource: "*", name, namespaced: true };
  const info = lookupKind(type);
  if (info) return { group: info.group, resource: info.plural, name, namespaced: info.namespaced };
  const lower = type.toLowerCase();
  const dot = lower.indexOf(".");
  const [resource, group] = dot < 0 ? [lower, ""] : [lower.slice(0, dot), lower.slice(dot + 1)];
  const virtual = VIRTUAL_RESOURCES.find((r) => (r.plural === resource || r.singular === resource) && (group === "" || r.group === group));
  if (virtual) return { group: virtual.group, resource: virtual.plural, name, namespaced: virtual.namespaced };
  warn(group ? `Warning: the server doesn't have a resource type '${resource}' in group '${group}'` : `Warning: the server doesn't have a resource type '${resource}'`);
  return { group: "", resource: type, name, namespaced: true };
}

export async function canI(cli: Cli, args: string[], f: CanIFlags): Promise<void> {
  if (f.list) throw new CliError("--list is not supported: mk's authorizer answers one question at a time (ask with VERB TYPE[/NAME])");
  if (args.length !== 2) {
    throw new CliError("you must specify two arguments: verb resource or verb resource/resourceName.\nSee 'mkctl auth can-i -h' for help and examples.");
  }
  const [verb = "", what = ""] = args;
  // kubectl's warnings end in a blank line (its message carries a newline, its printer adds one).
  const warn = (line: string) => cli.err(`${line}\n\n`);
  const subresource = f.subresource ?? "";
  let review: { verb: string; path?: string; group?: string; resource?: string; subresource?: string; namespace?: string; name?: string };
  if (what.startsWith("/")) {
    if (subresource) throw new CliError("--subresource can not be used with NonResourceURL");
    if (!NON_RESOURCE_VERBS.has(verb)) warn(`Warning: verb '${verb}' is not a known verb`);
    review = { verb, path: what };
  } else {
    const target = targetOf(what, warn);
    if (!f.allNamespaces && !target.namespaced) {
      warn(target.group ? `Warning: resource '${target.resource}' is not namespace scoped in group '${target.group}'` : `Warning: resource '${target.resource}' is not namespace scoped`);
    }
    if (!RESOURCE_VERBS.has(verb)) warn(`Warning: verb '${verb}' is not a known verb`);
    review = { verb, group: target.group, resource: target.resource, subresource, name: target.name, namespace: f.allNamespaces ? "" : cli.namespace };
  }
  const cs = await cli.client();
  const answer = await cs.accessReview(review);
  if (!f.quiet) cli.out(answer.allowed ? "yes\n" : `no${answer.reason ? ` - ${answer.reason}` : ""}\n`);
  if (!answer.allowed) throw new CliError("", { raw: true, exitCode: 1 });
}
