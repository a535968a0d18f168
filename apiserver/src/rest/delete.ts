// DELETE over HTTP as Kubernetes takes it: DeleteOptions from the query and from the body kubectl
// sends (`{"kind":"DeleteOptions","propagationPolicy":"Background"}`, the body winning), `dryRun=All`,
// and deletecollection (DELETE on a collection: every object its selectors match, each through the
// same delete handler (the registry checks the policy), answered with the list of what was deleted, as Kubernetes answers it).
import { isJsonObject, type Json, type JsonObject, type KindInfo, toK8s } from "@mk/proto/api";
import { BadRequestError, isNotFound } from "@mk/proto/client";
import type { RequestContext } from "../handlers/context.js";
import type { Handlers } from "../handlers/handlers.js";

export interface DeleteOptions {
  gracePeriodSeconds: number | undefined;
  propagationPolicy: string;
  preconditions: { uid?: string | undefined; resourceVersion?: string | undefined } | undefined;
  dryRun: boolean;
}

function dryRunValues(values: readonly Json[]): boolean {
  for (const v of values) {
    if (v !== "All") throw new BadRequestError(`dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  }
  return values.length > 0;
}

/** `dryRun=All` (any other value is refused, as Kubernetes refuses it). */
export function dryRunOf(query: URLSearchParams): boolean {
  return dryRunValues(query.getAll("dryRun"));
}

function integerOf(v: Json | undefined, field: string): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new BadRequestError(`${field}: Invalid value: ${JSON.stringify(v)}: must be a non-negative integer`);
  return n;
}

export function deleteOptionsOf(query: URLSearchParams, body: JsonObject | undefined): DeleteOptions {
  const b = body ?? {};
  if (b.kind !== undefined && b.kind !== "DeleteOptions") throw new BadRequestError(`the request body is a ${String(b.kind)}, not DeleteOptions`);
  let policy = typeof b.propagationPolicy === "string" ? b.propagationPolicy : (query.get("propagationPolicy") ?? "");
  const orphan = b.orphanDependents ?? query.get("orphanDependents");
  if (!policy && (orphan === true || orphan === "true")) policy = "Orphan";
  const pre = isJsonObject(b.preconditions) ? b.preconditions : undefined;
  const str = (v: Json | undefined) => (typeof v === "string" ? v : undefined);
  return {
    gracePeriodSeconds: integerOf(b.gracePeriodSeconds ?? query.get("gracePeriodSeconds") ?? undefined, "gracePeriodSeconds"),
    propagationPolicy: policy,
    preconditions: pre ? { uid: str(pre.uid), resourceVersion: str(pre.resourceVersion) } : undefined,
    dryRun: Array.isArray(b.dryRun) ? dryRunValues(b.dryRun) : dryRunOf(query),
  };
}

/** Deletes every object of the collection the selectors match; the reply lists them. */
export async function deleteCollection(handlers: Handlers, ctx: RequestContext, info: KindInfo, namespace: string, query: URLSearchParams, options: DeleteOptions): Promise<JsonObject> {
  const items: JsonObject[] = [];
  let revision = "";
  let next = "";
  do {
    const page = await handlers.list(ctx, {
      kind: info.kind,
      namespace,
      labelSelector: query.get("labelSelector") ?? "",
      fieldSelector: query.get("fieldSelector") ?? "",
      limit: 500,
      continue: next,
    });
    revision ||= page.revision;
    for (const o of page.items) {
      const meta = o.metadata;
      try {
        const out = await handlers.delete(ctx, { kind: info.kind, namespace: meta?.namespace ?? "", name: meta?.name ?? "", ...options });
        const { apiVersion: _v, kind: _k, ...rest } = toK8s(info, out.object);
        items.push(rest);
      } catch (err) {
        // Deleted by someone else since the list: what was asked for is done.
        if (!isNotFound(err)) throw err;
      }
    }
    next = page.continue;
  } while (next);
  return { kind: `${info.kind}List`, apiVersion: info.apiVersion, metadata: { resourceVersion: revision }, items };
}
