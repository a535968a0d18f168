// mkctl wait --for=condition=TYPE[=VALUE] | --for=delete | --for=jsonpath='{.status.phase}'=Running
// TYPE/NAME… [--timeout 30s]: kubectl's wait, for any kind (conditions: those with status.conditions). Every object is polled until its condition holds (or it is
// gone, for delete); one that does not in time fails with kubectl's message.
import type { AnyObject, KindInfo } from "@mk/proto/api";
import { type Clientset, NotFoundError } from "@mk/proto/client";
import { type Cli, parseDuration } from "../cli.js";
import { CliError, serverError } from "../errors.js";
import { type Json, toK8s } from "../objects.js";
import { findValues, parseTemplate, relaxedJsonPath } from "../printers/jsonpath.js";
import { parseResourceArgs, pluralRef, refName } from "../resources.js";

export interface WaitFlags {
  for?: string;
  timeout: string;
  selector?: string;
  all?: boolean;
}

const NO_RESOURCES = `You must provide one or more resources by argument or filename.
Example resource specifications include:
   '-f rsrc.yaml'
   '--filename=rsrc.json'
   '<resource> <name>'
   '<resource>'`;

const POLL_MS = 250;

/** What --for asks: a condition type (case-insensitive, as kubectl) with its wanted status, or deletion. */
export type WaitFor =
  | { kind: "condition"; type: string; status: string }
  | { kind: "delete" }
  /** With value undefined, whatever value the path finds will do. */
  | { kind: "jsonpath"; template: string; value: string | undefined };

/** Splits on a single "=", never on "==" (a filter's), as kubectl's splitJSONPathInput. */
function splitJsonPathInput(input: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < input.length; i++) {
    if (input[i] === "=") {
      if (input[i + 1] === "=") {
        cur += "==";
        i++;
        continue;
      }
      out.push(cur);
      cur = "";
      continue;
    }
    cur += input[i];
  }
  return [...out, cur];
}

function parseJsonPathFor(input: string): WaitFor {
  const parts = splitJsonPathInput(input);
  if (parts.length > 2) throw new CliError("jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'");
  const template = relaxedJsonPath(parts[0] ?? "");
  if (template === "") throw new CliError("jsonpath expression cannot be empty");
  parseTemplate(template);
  if (parts.length === 1) return { kind: "jsonpath", template, value: undefined };
  const value = (parts[1] ?? "").replace(/^['"]+|['"]+$/g, "");
  if (value === "") throw new CliError("jsonpath wait has to have a value after equal sign, like --for=jsonpath='{.status.readyReplicas}'=3");
  return { kind: "jsonpath", template, value };
}

/** Go's %v of a JSON scalar, as kubectl compares a found value with the wanted one. */
function goString(v: Json): string {
  return typeof v === "string" ? v : v === null ? "<nil>" : String(v);
}

/** Whether the path finds exactly one scalar equal to the wanted value (or any, without one). */
export function jsonPathMet(obj: Json, want: { template: string; value: string | undefined }): boolean {
  const found = findValues(want.template, obj);
  if (found.length === 0) return false;
  if (found.length > 1) throw new CliError("given jsonpath expression matches more than one value");
  if (want.value === undefined) return true;
  const v = found[0] as Json;
  if (typeof v === "object" && v !== null) throw new CliError("jsonpath leads to a nested object or list which is not supported");
  return goString(v).trim() === want.value.trim();
}

export function parseWaitFor(v: string | undefined): WaitFor {
  if (!v) throw new CliError("--for must be set");
  if (v.toLowerCase() === "delete") return { kind: "delete" };
  if (v.startsWith("jsonpath=")) return parseJsonPathFor(v.slice("jsonpath=".length));
  if (v.startsWith("condition=")) {
    const [type = "", status = "True"] = v.slice("condition=".length).split("=");
    if (!type) throw new CliError(`--for must have a condition: ${v}`);
    return { kind: "condition", type, status };
  }
  throw new CliError(`unrecognized condition: "${v}"`);
}

interface Conditioned {
  status?: { conditions?: ReadonlyArray<{ type: string; status: string }> };
}

/** Whether the object's status.conditions holds the condition (type compared case-insensitively). */
export function conditionMet(obj: AnyObject, f: { type: string; status: string }): boolean {
  const conds = (obj as Conditioned).status?.conditions ?? [];
  return conds.some((c) => c.type.toLowerCase() === f.type.toLowerCase() && c.status.toLowerCase() === f.status.toLowerCase());
}

export async function wait(cli: Cli, args: string[], f: WaitFlags): Promise<void> {
  const want = parseWaitFor(f.for);
  const timeoutMs = parseDuration(f.timeout, "--timeout");
  if (args.length === 0) throw new CliError(NO_RESOURCES);
  const cs = await cli.client();
  const targets: { info: KindInfo; name: string }[] = [];
  for (const t of parseResourceArgs(args)) {
    if (t.names.length > 0) targets.push(...t.names.map((name) => ({ info: t.info, name })));
    else if (f.selector || f.all) {
      const list = await cs.resource(t.info.kind).list({ namespace: t.info.namespaced ? cli.namespace : "", labelSelector: f.selector ?? "" });
      targets.push(...list.items.map((o) => ({ info: t.info, name: o.metadata?.name ?? "" })));
    } else throw new CliError("resource(s) were provided, but no name was specified");
  }
  if (targets.length === 0 && want.kind !== "delete") throw new CliError("no matching resources found");
  const deadline = Date.now() + timeoutMs;
  for (const { info, name } of targets) {
    await waitOne(cs, cli.namespace, info, name, want, deadline);
    cli.out(`${refName(info, name)} condition met\n`);
  }
}

async function waitOne(cs: Clientset, namespace: string, info: KindInfo, name: string, want: WaitFor, deadline: number): Promise<void> {
  const ns = info.namespaced ? namespace : "";
  for (;;) {
    try {
      const obj = await cs.resource(info.kind).get(name, ns);
      if (want.kind === "condition" && conditionMet(obj, want)) return;
      if (want.kind === "jsonpath" && jsonPathMet(toK8s(info, obj), want)) return;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      if (want.kind === "delete") return;
      throw serverError("NotFound", `${pluralRef(info)} "${name}" not found`, err);
    }
    const left = deadline - Date.now();
    // kubectl names the resource by its plural here: "on jobs/pi", "on pods/web-1".
    if (left <= 0) throw new CliError(`timed out waiting for the condition on ${info.plural}/${name}`);
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, left)));
  }
}
