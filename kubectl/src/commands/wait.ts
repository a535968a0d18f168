// mkctl wait --for=condition=TYPE[=VALUE] | --for=delete TYPE/NAME… [--timeout 30s]: kubectl's wait,
// for any kind with status.conditions. Every object is polled until its condition holds (or it is
// gone, for delete); one that does not in time fails with kubectl's message.
import type { AnyObject, KindInfo } from "@mk/proto/api";
import { type Clientset, NotFoundError } from "@mk/proto/client";
import { type Cli, parseDuration } from "../cli.js";
import { CliError, serverError } from "../errors.js";
import { parseResourceArgs, pluralRef, refName } from "../resources.js";

export interface WaitFlags {
  for?: string;
  timeout: string;
}

const POLL_MS = 250;

/** What --for asks: a condition type (case-insensitive, as kubectl) with its wanted status, or deletion. */
export type WaitFor = { kind: "condition"; type: string; status: string } | { kind: "delete" };

export function parseWaitFor(v: string | undefined): WaitFor {
  if (!v) throw new CliError("--for must be set");
  if (v === "delete") return { kind: "delete" };
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
  const targets = parseResourceArgs(args).flatMap((t) => t.names.map((name) => ({ info: t.info, name })));
  if (targets.length === 0) throw new CliError("resource(s) were provided, but no name was specified");
  const cs = await cli.client();
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
