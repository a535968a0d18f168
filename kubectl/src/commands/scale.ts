// mkctl scale TYPE NAME --replicas=N [--current-replicas=M]: through the Scale subresource.
// `deployment/NAME`, `deployment NAME`, `deploy NAME`, or a bare NAME (always a Deployment).
import { type KindInfo, KINDS } from "@mk/proto/api";
import { ConflictError, NotFoundError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, serverError } from "../errors.js";
import { notFoundLine, parseResourceArgs, refName } from "../resources.js";

export interface ScaleFlags {
  replicas?: string;
  currentReplicas?: string;
}

export async function scale(cli: Cli, args: string[], f: ScaleFlags): Promise<void> {
  const replicas = Number(f.replicas);
  if (f.replicas === undefined || !Number.isInteger(replicas) || replicas < 0) {
    throw new CliError("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0");
  }
  const cs = await cli.client();
  // A single bare argument always names a Deployment: `scale --replicas=9 node` scales the
  // deployment "node", not the kind.
  const targets = args.length === 1 && !args[0]?.includes("/") ? [{ info: KINDS.Deployment as KindInfo, names: [args[0] ?? ""] }] : parseResourceArgs(args);
  for (const t of targets) {
    if (t.info.kind !== "Deployment" && t.info.kind !== "ReplicaSet") {
      throw new CliError(`cannot scale ${t.info.plural}: only deployments and replicasets have a scale subresource`);
    }
    if (t.names.length === 0) throw new CliError("resource(s) were provided, but no name was specified");
    for (const name of t.names) {
      try {
        let rv = "";
        if (f.currentReplicas !== undefined) {
          const cur = await cs.getScale(t.info.kind, cli.namespace, name);
          if (cur.spec?.replicas !== Number(f.currentReplicas)) {
            throw new CliError(`Expected replicas to be ${f.currentReplicas}, was ${cur.spec?.replicas ?? 0}`);
          }
          rv = cur.metadata?.resourceVersion ?? "";
        }
        await cs.updateScale(t.info.kind, cli.namespace, name, replicas, rv);
      } catch (err) {
        if (err instanceof NotFoundError) throw new CliError(notFoundLine(t.info, name), { raw: true, cause: err });
        if (err instanceof ConflictError) throw serverError("Conflict", err.message, err);
        throw err;
      }
      cli.out(`${refName(t.info, name)} scaled\n`);
    }
  }
}
